/**
 * The README's table of error codes against the code lists the unions derive from: every
 * listed code has a row naming exactly the modules that list it, and every row names a
 * listed code. The type-level check below makes `npm run typecheck` fail when a module adds
 * a union to `ErrorCodesByModule` without its list appearing here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ADAPTER_ERROR_CODES,
  BLOB_STORE_ERROR_CODES,
  NOTARY_CLIENT_ERROR_CODES,
  REGISTRY_CLIENT_ERROR_CODES,
} from '../src/adapters/errors.js';
import { COSIGN_KEY_ERROR_CODES } from '../src/adapters/cosign/errors.js';
import { NOTATION_ENVELOPE_ERROR_CODES } from '../src/adapters/notation/errors.js';
import { SIGSTORE_ERROR_CODES } from '../src/adapters/sigstore/errors.js';
import { COSIGN_ERROR_CODES } from '../src/app/cosign/errors.js';
import { ADMISSION_ERROR_CODES } from '../src/app/admission/errors.js';
import { APP_ERROR_CODES } from '../src/app/errors.js';
import { NOTATION_ERROR_CODES } from '../src/app/notation/errors.js';
import { CLI_ERROR_CODES } from '../src/cli/errors.js';
import { CORE_ERROR_CODES, type DctErrorCode, type ErrorCodesByModule } from '../src/core/errors.js';
import { NOTATION_POLICY_ERROR_CODES } from '../src/core/notation/errors.js';
import { OCI_ERROR_CODES } from '../src/core/oci/errors.js';
import { POLICY_ERROR_CODES } from '../src/core/policy/errors.js';
import { SIGNATURE_ERROR_CODES } from '../src/core/signatures/errors.js';
import { TRUST_BUNDLE_ERROR_CODES } from '../src/core/trust-bundle/errors.js';
import { API_ERRORS, type ApiErrorCode } from '../src/server/api-errors.js';
import { SERVER_ERROR_CODES } from '../src/server/errors.js';
import { REGISTRY_API_ERRORS, type RegistryApiErrorCode } from '../src/server/registry/registry-api-error.js';
import { SIGNER_ERROR_CODES } from '../src/signer/errors.js';
import { PROJECT_ROOT } from './support/fixtures.js';

/** One list per module of `ErrorCodesByModule`: a missing or extra module does not compile. */
const LISTS: { [M in keyof ErrorCodesByModule]: readonly ErrorCodesByModule[M][] } = {
  core: CORE_ERROR_CODES,
  oci: Object.values(OCI_ERROR_CODES),
  signatures: SIGNATURE_ERROR_CODES,
  notationPolicy: NOTATION_POLICY_ERROR_CODES,
  policy: POLICY_ERROR_CODES,
  trustBundle: TRUST_BUNDLE_ERROR_CODES,
  adapters: ADAPTER_ERROR_CODES,
  registryClient: REGISTRY_CLIENT_ERROR_CODES,
  notaryClient: NOTARY_CLIENT_ERROR_CODES,
  blobStore: BLOB_STORE_ERROR_CODES,
  app: APP_ERROR_CODES,
  server: SERVER_ERROR_CODES,
  trustApi: Object.keys(API_ERRORS) as ApiErrorCode[],
  registryApi: Object.keys(REGISTRY_API_ERRORS) as RegistryApiErrorCode[],
  signer: SIGNER_ERROR_CODES,
  cli: CLI_ERROR_CODES,
  sigstore: SIGSTORE_ERROR_CODES,
  cosignKeys: COSIGN_KEY_ERROR_CODES,
  cosign: COSIGN_ERROR_CODES,
  notationEnvelope: NOTATION_ENVELOPE_ERROR_CODES,
  notation: NOTATION_ERROR_CODES,
  admission: ADMISSION_ERROR_CODES,
};

/** code → the modules whose list holds it, in `LISTS` order. */
function modulesByCode(): Map<string, string[]> {
  const byCode = new Map<string, string[]>();
  for (const [module, codes] of Object.entries(LISTS) as [string, readonly DctErrorCode[]][]) {
    for (const code of codes) byCode.set(code, [...(byCode.get(code) ?? []), module]);
  }
  return byCode;
}

interface Row {
  code: string;
  modules: string[];
}

/** The rows of the table under `## Error codes` (`| \`CODE\` | module, module | meaning |`). */
function readmeRows(readme: string): Row[] {
  const start = readme.indexOf('\n## Error codes\n');
  assert.ok(start >= 0, 'README.md has no "## Error codes" section');
  const next = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, next < 0 ? undefined : next);
  const rows: Row[] = [];
  for (const line of section.split('\n')) {
    const cells = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|([^|]*)\|/.exec(line);
    if (!cells) continue;
    const modules = (cells[2] as string)
      .split(',')
      .map((m) => m.trim())
      .filter((m) => m !== '');
    rows.push({ code: cells[1] as string, modules });
  }
  return rows;
}

describe('error codes', () => {
  const listed = modulesByCode();
  const rows = readmeRows(readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8'));

  it('every module lists each of its codes once, in UPPER_SNAKE', () => {
    for (const [module, codes] of Object.entries(LISTS) as [string, readonly string[]][]) {
      assert.equal(new Set(codes).size, codes.length, `${module} lists a code twice`);
      for (const code of codes) assert.match(code, /^[A-Z][A-Z0-9_]*$/, `${module}: ${code}`);
    }
  });

  it('the README has one row per code, sorted', () => {
    const codes = rows.map((r) => r.code);
    assert.ok(codes.length > 0, 'the error code table is empty');
    assert.deepEqual(codes, [...new Set(codes)].sort(), 'rows must be unique and sorted by code');
  });

  it('every listed code is in the README, and every README code is listed', () => {
    const inReadme = new Set(rows.map((r) => r.code));
    const missing = [...listed.keys()].filter((c) => !inReadme.has(c)).sort();
    const unknown = [...inReadme].filter((c) => !listed.has(c)).sort();
    assert.deepEqual({ missing, unknown }, { missing: [], unknown: [] }, 'README.md "## Error codes" and the code lists differ');
  });

  it('each row names exactly the modules that list its code', () => {
    for (const { code, modules } of rows) {
      const expected = listed.get(code);
      if (expected) assert.deepEqual(modules, expected, `modules of ${code}`);
    }
  });

  it("the Notary client's pass-through codes are notary-server's 400 codes", () => {
    const own = ['INVALID_OPERATION', 'INVALID_REQUEST', 'INVALID_RESPONSE', 'NETWORK_ERROR', 'RESPONSE_TOO_LARGE', 'TIMEOUT'];
    const status = (code: string): number | undefined => (API_ERRORS as Record<string, { status: number }>)[code]?.status;
    const passed = NOTARY_CLIENT_ERROR_CODES.filter((c) => !own.includes(c) && status(c) === 400).sort();
    // (the audit feed's and the dashboard's codes are not the Notary API's: the Notary client uses neither)
    const server400 = Object.keys(API_ERRORS)
      .filter((c) => status(c) === 400 && !c.startsWith('AUDIT_') && !c.startsWith('DASHBOARD_'))
      .sort();
    assert.deepEqual(passed, server400);
  });
});
