/**
 * cosign's part of `dct verify`: every cosign signature of an image, in both layouts
 * (Sigstore bundle referrers and the legacy `sha256-<hex>.sig` manifest), one
 * SignatureReport each: verified, or failed with the code of the first check that failed.
 * A signature manifest or referrer that cannot be read is reported failed too; only an
 * unreachable registry throws. Each signature is checked against the given policies in turn
 * (the first that verifies wins); without any, every Fulcio identity of the trusted root is
 * accepted and reported as the signer (a key-signed signature then needs its key).
 * Aborted (`signal`): the requests in flight are aborted, no read or check starts after,
 * and verify rejects with ABORTED once the reads started have settled.
 */
import { isDctError, type DctError } from '../../core/errors.js';
import type { SignatureRegistry } from '../../core/signatures/signature-registry.js';
import type { FormatVerifier, ImageSubject, SignatureLocation, SignatureReport } from '../../core/signatures/signature-report.js';
import { checkBundle, checkLegacySignature } from './check-signature.js';
import type { CosignImage } from './cosign-image.js';
import type { CosignPolicy, CosignVerifyOptions } from './cosign-policy.js';
import { findBundleReferrers, loadBundles, readLegacySignatures, type FoundReferrers, type LoadedBundles } from './find-signatures.js';
import { isBundleMediaType } from '../../core/cosign/bundle-referrer.js';
import { failed, report } from './verify-image.js';
import { abortable, abortableRegistry, checkAborted } from '../signatures/abortable-registry.js';

/** How `dct verify` checks cosign signatures: the verification options, with the accepted signers. */
export type CosignFormatOptions = Omit<CosignVerifyOptions, 'policy'> & { policies?: CosignPolicy[] };

const ANY_IDENTITY: CosignPolicy = { kind: 'identity', identity: { regexp: '.*' }, issuer: { regexp: '.*' } };

export class CosignFormatVerifier implements FormatVerifier {
  readonly format = 'cosign' as const;

  constructor(
    /** the registry of a subject's host */
    private readonly registryFor: (registryHost: string) => SignatureRegistry | Promise<SignatureRegistry>,
    private readonly opts: CosignFormatOptions,
  ) {}

  /** `check` under each policy until one passes; the last failure otherwise. */
  private async underPolicies<T>(check: (opts: CosignVerifyOptions) => Promise<T>): Promise<T> {
    const policies = this.opts.policies?.length ? this.opts.policies : [ANY_IDENTITY];
    let last: unknown;
    for (const policy of policies) {
      try {
        return await check({ ...this.opts, policy });
      } catch (err) {
        if (!isDctError(err) || isTransport(err.code)) throw err;
        last = err;
      }
    }
    throw last;
  }

  async verify(subject: ImageSubject, opts: { signal?: AbortSignal } = {}): Promise<SignatureReport[]> {
    return abortable(opts.signal, () => this.verifyUntil(subject, opts.signal));
  }

  private async verifyUntil(subject: ImageSubject, signal: AbortSignal | undefined): Promise<SignatureReport[]> {
    const registry = abortableRegistry(await this.registryFor(subject.registry), signal);
    const host = subject.registry === 'docker.io' ? 'index.docker.io' : subject.registry;
    const image: CosignImage = {
      registry,
      registryHost: subject.registry,
      repo: subject.repository,
      repository: `${host}/${subject.repository}`,
      reference: subject.digest,
    };
    const digest = subject.digest;
    const reports: SignatureReport[] = [];

    // the referrers (and their bundles) and the legacy manifest (and its payloads) are read at
    // the same time; what was read is then checked and reported in the order it always was
    const [bundleSide, legacySide] = await Promise.allSettled([
      readBundles(image, digest, signal),
      readLegacySignatures(image, digest, 'sig', (err) => !isDctError(err) || isTransport(err.code), signal),
    ]);
    if (bundleSide.status === 'rejected') throw bundleSide.reason;
    const { tooMany, loaded } = bundleSide.value;
    if (tooMany) reports.push(failed(digest, { via: 'referrers-api', reference: `${image.repository}@${digest}` }, tooMany));
    // a referrer that says it is a bundle and is not one is reported; other artifacts are not cosign's
    for (const b of loaded.broken) if (isBundleMediaType(b.descriptor.artifactType)) reports.push(failed(digest, b.foundAt, b.error));
    for (const b of loaded.loaded) {
      checkAborted(signal);
      try {
        const checked = await this.underPolicies((o) => checkBundle(b.bundle, digest, o));
        reports.push(report(digest, b.foundAt, checked, { predicateType: checked.statement.predicateType, layout: 'bundle' }));
      } catch (err) {
        if (!isDctError(err) || isTransport(err.code)) throw err;
        reports.push(failed(digest, b.foundAt, err));
      }
    }

    const legacyAt: SignatureLocation = { via: 'cosign-tag', reference: `${image.repository}:sha256-${digest.slice(7)}.sig` };
    if (legacySide.status === 'rejected') {
      const err: unknown = legacySide.reason;
      if (!isDctError(err) || isTransport(err.code)) throw err;
      reports.push(failed(digest, legacyAt, err));
      return reports;
    }
    for (const { signature: sig, payload } of legacySide.value.payloads) {
      checkAborted(signal);
      try {
        if (payload.status === 'rejected') throw payload.reason;
        const checked = await this.underPolicies((o) => checkLegacySignature(sig, payload.value, digest, o));
        reports.push(report(checked.claims.digest, legacyAt, checked, { layer: sig.layer.digest, layout: 'legacy' }));
      } catch (err) {
        if (!isDctError(err) || isTransport(err.code)) throw err;
        reports.push(failed(digest, legacyAt, err));
      }
    }
    checkAborted(signal);
    return reports;
  }
}

/** The bundle referrers of `digest`, loaded; too many of them is a report, not an error. */
async function readBundles(
  image: CosignImage,
  digest: string,
  signal?: AbortSignal,
): Promise<{ tooMany?: DctError; loaded: LoadedBundles }> {
  let found: FoundReferrers;
  try {
    found = await findBundleReferrers(image, digest);
  } catch (err) {
    if (!isDctError(err, 'COSIGN_TOO_MANY_SIGNATURES')) throw err;
    return { tooMany: err, loaded: { loaded: [], broken: [] } };
  }
  return { loaded: await loadBundles(image, digest, found, signal) };
}

function isTransport(code: string): boolean {
  return code === 'NETWORK_ERROR' || code === 'TIMEOUT' || code === 'ABORTED' || code === 'REGISTRY_UNAUTHORIZED';
}
