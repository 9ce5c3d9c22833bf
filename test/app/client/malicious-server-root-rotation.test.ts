/**
 * The client against a Notary server that serves another repository's trust: a
 * new root the trusted root keys did not sign (an impostor, one version or
 * several ahead) and the repository of another GUN. Each fails with a stable
 * code and the cache unchanged.
 */
import { describe } from 'node:test';
import { honest, impostor } from '../../support/malicious-attacks.js';
import { attackTests, type Case, fails, ok, useMaliciousNotary } from './malicious-server-world.js';

const cases: Case[] = [
  // ------------------------------------------------------------- root rotation
  {
    name: 'a new root not signed by the trusted root keys (impostor repository, root v2)',
    repo: 'docker',
    cache: 'old',
    attack: (r) => impostor(r.gun, 2),
    read: fails('ROOT_ROTATION_FAILED', /could not rotate trust to a new trusted root/),
    first: ok({ updates: true }), // trust on first use
  },
  {
    name: 'an impostor root chain several versions ahead',
    repo: 'docker',
    cache: 'old',
    attack: (r) => impostor(r.gun, 5),
    read: fails('ROOT_ROTATION_FAILED', /could not rotate trust to a new trusted root/),
    first: ok({ updates: true }),
  },
  {
    name: 'the repository of another GUN served for this one',
    repo: 'docker',
    cache: 'old',
    attack: (_r, all) => honest(all.notary, 'new', 'another GUN'),
    read: fails('ROOT_ROTATION_FAILED', /could not rotate trust to a new trusted root/),
    first: fails('CERTIFICATE_VALIDATION_FAILED', /registry\.example\.com\/malicious\/docker|certificate/),
  },
  {
    name: 'notary style: the repository of another GUN served for this one',
    repo: 'notary',
    cache: 'old',
    attack: (_r, all) => honest(all.docker, 'new', 'another GUN'),
    read: fails('ROOT_ROTATION_FAILED', /could not rotate trust to a new trusted root/),
    first: fails('CERTIFICATE_VALIDATION_FAILED', /example\.com\/malicious\/notary|certificate/),
  },
];

describe('the client against a malicious Notary server', () => {
  useMaliciousNotary();
  attackTests(cases);
});
