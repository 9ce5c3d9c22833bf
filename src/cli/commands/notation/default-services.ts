/**
 * The real services of notation's signature commands: the registry as other dct commands reach
 * it (docker's credentials and TLS folders), notation's configuration directory (signing keys,
 * trust policy, trust stores), the envelope signer, verifier and inspector.
 */
import { NotationRepository } from '../../../app/notation/notation-repository.js';
import { DctError } from '../../../core/errors.js';
import { openSignatureRegistry } from '../../signature-registry.js';
import type { NotationServices } from './notation-services.js';

function notWired(what: string): never {
  throw new DctError('NOTATION_INVALID_OPTION', `${what} is not available in this build of dct`);
}

export function defaultNotationServices(env: Readonly<Record<string, string | undefined>>): NotationServices {
  return {
    env,
    now: () => new Date(),
    openRepository: async (ref, opts, warn) => {
      const access = await openSignatureRegistry(ref, env, warn, { allowHttp: opts.insecure, allowInsecure: opts.insecure });
      return new NotationRepository(access.registry, access.repo, ref.name);
    },
    signer: () => Promise.resolve(notWired('signing')),
    policy: () => ({ statementFor: () => Promise.resolve(notWired('the trust policy')) }),
    verifier: { verify: () => notWired('envelope verification') },
    inspector: { inspect: () => notWired('envelope inspection') },
  };
}
