/**
 * `dct notation sign | verify | list | ls | inspect` as notation 1.x prints them: stdout and
 * stderr texts, `Error: …` and exit 1 on failure, the flags' checks; over an in-memory registry
 * and test doubles of the envelope signer, verifier and inspector.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NotationRepository } from '../../../src/app/notation/notation-repository.js';
import type { EnvelopeInspector } from '../../../src/app/notation/ports.js';
import { runNotation } from '../../../src/cli/commands/notation/index.js';
import type { NotationServices } from '../../../src/cli/commands/notation/notation-services.js';
import type { NotationCheck, VerificationLevelName } from '../../../src/core/notation/verification-types.js';
import { fakeSigner, fakeVerifier, NOW, policy, withImage } from '../../app/notation/notation-doubles.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

function services(
  repo: NotationRepository,
  opts: { level?: VerificationLevelName; fail?: NotationCheck; inspector?: EnvelopeInspector } = {},
): NotationServices {
  return {
    env: {},
    now: () => NOW,
    openRepository: () => Promise.resolve(repo),
    openLayout: () => Promise.resolve(repo),
    signer: () => Promise.resolve(fakeSigner(opts.fail)),
    policy: () => policy(opts.level),
    verifier: fakeVerifier(),
    inspector: opts.inspector ?? {
      inspect: (bytes) => {
        const env = JSON.parse(Buffer.from(bytes).toString()) as {
          target: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> };
        };
        return {
          signatureAlgorithm: 'RSASSA-PSS-SHA-256',
          contentType: 'application/vnd.cncf.notary.payload.v1+json',
          signingScheme: 'notary.x509',
          signingTime: NOW,
          certificates: [
            { sha256Fingerprint: 'ab'.repeat(32), issuedTo: 'CN=e2e', issuedBy: 'CN=e2e', expiry: new Date('2122-12-19T00:00:00Z') },
          ],
          signedArtifact: env.target,
        };
      },
    },
  };
}

async function notation(svc: NotationServices, ...args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runNotation(args, { io: { out: (s) => (out += s), err: (s) => (err += s) }, services: svc, env: {} });
  return { code, out, err };
}

describe('dct notation: grammar and errors', () => {
  it('help lists the signature commands; an unknown command or flag is an Error: with exit 1', async () => {
    const { repo } = withImage(false);
    const help = await notation(services(repo), '--help');
    for (const c of ['sign', 'verify', 'list', 'inspect']) assert.match(help.out, new RegExp(`\n  ${c} +`));
    const unknown = await notation(services(repo), 'bogus');
    assert.deepEqual([unknown.code, unknown.err], [1, `Error: unknown command "bogus" for "notation"\nRun 'notation --help' for usage.\n`]);
    assert.match((await notation(services(repo), 'help', 'ls')).out, /^List all the signatures associated with signed artifact\n/);
    const flag = await notation(services(repo), 'verify', '--nope', 'registry.test/app:v1');
    assert.deepEqual([flag.code, flag.err], [1, 'Error: unknown flag: --nope\n']);
  });

  it('each command needs a reference, in notation words', async () => {
    const { repo } = withImage(false);
    for (const verb of ['sign', 'verify', 'list', 'inspect']) {
      const r = await notation(services(repo), verb);
      assert.equal(r.code, 1);
      assert.equal(
        r.err,
        `Error: missing reference to the artifact: use \`notation ${verb} --help\` to see what parameters are required\n`,
      );
    }
    const bad = await notation(services(repo), 'verify', 'registry.test/app');
    assert.equal(
      bad.err,
      'Error: "registry.test/app": invalid reference: no tag or digest. Expecting <registry>/<repository>:<tag> or <registry>/<repository>@<digest>\n',
    );
  });

  it('flag values are checked: --max-signatures, --signature-format, --expiry, --user-metadata, --output', async () => {
    const { repo } = withImage(false);
    const svc = services(repo);
    assert.equal(
      (await notation(svc, 'verify', '--max-signatures', '0', 'registry.test/app:v1')).err,
      'Error: max-signatures value 0 must be a positive number\n',
    );
    assert.match(
      (await notation(svc, 'sign', '--signature-format', 'pkcs7', 'registry.test/app:v1')).err,
      /^Error: signature format "pkcs7" not supported/,
    );
    assert.equal(
      (await notation(svc, 'sign', '--expiry', 'soon', 'registry.test/app:v1')).err,
      'Error: invalid argument "soon" for "-e, --expiry" flag: time: invalid duration "soon"\n',
    );
    assert.match(
      (await notation(svc, 'sign', '-m', 'novalue', 'registry.test/app:v1')).err,
      /^Error: could not parse flag user-metadata: key-value pair requires "=" as separator\n$/,
    );
    assert.equal((await notation(svc, 'inspect', '-o', 'yaml', 'registry.test/app:v1')).err, 'Error: unrecognized output format yaml\n');
  });
});

describe('dct notation: outputs', () => {
  it('sign prints the signed artifact and the signature; by tag it warns first', async () => {
    const { repo, image } = withImage(false);
    const r = await notation(services(repo), 'sign', '-e', '3h20m', 'registry.test/app:v1');
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.err,
      'Warning: Always sign the artifact using digest(@sha256:...) rather than a tag(:v1) because tags are mutable and a tag reference can point to a different artifact than the one signed.\n',
    );
    assert.match(
      r.out,
      new RegExp(
        `^Successfully signed registry.test/app@${image.digest}\nPushed the signature to registry.test/app@sha256:[0-9a-f]{64}\n$`,
      ),
    );
  });

  it('verify prints success, the user metadata table, and warnings of logged checks on stderr', async () => {
    const { repo, image } = withImage(false);
    assert.equal(
      (await notation(services(repo, { fail: 'expiry' }), 'sign', '-m', 'buildId=123', '-m', 'team=a', `registry.test/app@${image.digest}`))
        .code,
      0,
    );
    const ok = await notation(services(repo, { level: 'permissive' }), 'verify', `registry.test/app@${image.digest}`);
    assert.equal(ok.code, 0, ok.err);
    assert.equal(ok.err, 'Warning: expiry was set to "log" and failed with error: expiry is broken\n');
    assert.equal(
      ok.out,
      `Successfully verified signature for registry.test/app@${image.digest}\n\nThe artifact was signed with the following user metadata.\n\nKEY       VALUE   \nbuildId   123     \nteam      a       \n`,
    );
    const strict = await notation(services(repo), 'verify', '-d', `registry.test/app@${image.digest}`);
    assert.equal(strict.code, 1);
    assert.match(
      strict.err,
      /failed verification with error: expiry validation failed\. Failure reason: expiry is broken \[NOTATION_CHECK_EXPIRY_FAILED\]\n/,
    );
    assert.match(
      strict.err,
      new RegExp(`Error: signature verification failed for all the signatures associated with registry.test/app@${image.digest}\n$`),
    );
    const quiet = await notation(services(repo), 'verify', `registry.test/app@${image.digest}`);
    assert.equal(
      quiet.err,
      `Error: signature verification failed for all the signatures associated with registry.test/app@${image.digest}\n`,
    );
  });

  it('verify at level skip says so', async () => {
    const { repo, image } = withImage(true);
    const r = await notation(services(repo, { level: 'skip' }), 'verify', 'registry.test/app:v1');
    assert.equal(r.out, `Trust policy is configured to skip signature verification for registry.test/app@${image.digest}\n`);
    assert.match(
      r.err,
      /^Warning: Always verify the artifact using digest\(@sha256:\.\.\.\) rather than a tag\(:v1\) because resolved digest may not point to the same signed artifact, as tags are mutable\.\n$/,
    );
  });

  it('list and its alias ls print the tree', async () => {
    const { repo, image } = withImage(true);
    const svc = services(repo);
    await notation(svc, 'sign', `registry.test/app@${image.digest}`);
    const list = await notation(svc, 'list', `registry.test/app@${image.digest}`);
    const ls = await notation(svc, 'ls', `registry.test/app@${image.digest}`);
    assert.equal(list.code, 0);
    assert.equal(ls.out, list.out);
    assert.match(
      list.out,
      new RegExp(`^registry.test/app@${image.digest}\n└── application/vnd.cncf.notary.signature\n    └── sha256:[0-9a-f]{64}\n$`),
    );
  });

  it('inspect prints the tree and JSON; a signature it cannot read is skipped with a warning and exit 1', async () => {
    const { repo, image } = withImage(false);
    const svc = services(repo);
    await notation(svc, 'sign', '-m', 'purpose=test', `registry.test/app@${image.digest}`);
    const tree = await notation(svc, 'inspect', `registry.test/app@${image.digest}`);
    assert.equal(tree.code, 0, tree.err);
    const lines = tree.out.split('\n');
    assert.equal(lines[0], 'Inspecting all signatures for signed artifact');
    assert.equal(lines[1], `registry.test/app@${image.digest}`);
    assert.ok(tree.out.includes('        ├── user defined attributes\n        │   └── purpose: test\n'), tree.out);
    assert.ok(tree.out.includes('        │   └── signing time: Thu Jan  1 00:00:00 2026\n'), tree.out);
    assert.ok(tree.out.includes('        ├── unsigned attributes\n        ├── certificates\n'), tree.out);
    const json = JSON.parse((await notation(svc, 'inspect', '--output', 'json', `registry.test/app@${image.digest}`)).out) as {
      mediaType: string;
      signatures: Array<{
        signedAttributes: Record<string, string>;
        userDefinedAttributes: Record<string, string>;
        signedArtifact: Record<string, unknown>;
      }>;
    };
    assert.equal(json.signatures[0]?.signedAttributes['signingTime'], '2026-01-01T00:00:00Z');
    assert.deepEqual(json.signatures[0]?.userDefinedAttributes, { purpose: 'test' });
    assert.deepEqual(json.signatures[0]?.signedArtifact, { mediaType: image.mediaType, digest: image.digest, size: image.size });
    const broken = await notation(
      services(repo, {
        inspector: {
          inspect: () => {
            throw new Error('failed to parse signature');
          },
        },
      }),
      'inspect',
      `registry.test/app@${image.digest}`,
    );
    assert.equal(broken.code, 1);
    assert.match(
      broken.err,
      /^Warning: Skipping signature sha256:[0-9a-f]{64} because of error: failed to parse signature\nError: at least one signature was skipped and not displayed\n$/,
    );
  });
});
