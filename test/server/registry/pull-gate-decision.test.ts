/**
 * The pull gate's decision (PullGateDecision) over a fake source: trust data
 * built with real keys and signatures (RepoSimulator, loaded into a trusted set
 * as a client would) and registry edges scripted per test. Each test is named
 * after what it refuses or lets through; refusals are checked by their exact
 * reason, as the registry's DENIED error carries it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { TrustedSet } from '../../../src/core/trust/trusted-set.js';
import { PullGateDecision, type GateRule, type GateSource, type GateVerdict } from '../../../src/server/registry/pull-gate-decision.js';
import type { TrustLookup } from '../../../src/server/registry/server-trust.js';
import { RepoSimulator } from '../../support/repo-simulator.js';

const GUN = '127.0.0.1:5000/prod/app';
const REPO = 'prod/app';

/** Manifest bytes as the registry holds them: their digest and size. */
interface Image {
  text: string;
  digest: string;
  size: number;
}

function image(text: string): Image {
  return { text, digest: `sha256:${createHash('sha256').update(text).digest('hex')}`, size: Buffer.byteLength(text) };
}

const A = image('{"image":"A"}');
/** other bytes of A's size */
const B = image('{"image":"B"}');
const C = image('{"image":"Cee"}');
assert.equal(A.size, B.size);

async function trustData(build: (sim: RepoSimulator) => void): Promise<TrustedSet> {
  const sim = new RepoSimulator(GUN);
  build(sim);
  await sim.publish();
  return sim.trustedSet();
}

/** docker trust sign as a signer added with docker trust signer add: the tag goes into targets/releases and the signer's role. */
function signAs(sim: RepoSimulator, signer: string, tag: string, img: Image): void {
  sim.addTarget(tag, img.text, 'targets/releases');
  sim.addTarget(tag, img.text, `targets/${signer}`);
}

/** A repository with targets/releases and the delegations alice, bob and carol (paths: every tag). */
function withSigners(sim: RepoSimulator): void {
  sim.delegate('targets/releases');
  for (const name of ['alice', 'bob', 'carol']) sim.delegate(`targets/${name}`);
}

/** The store and the trust server as the decision sees them. */
class FakeSource implements GateSource {
  readonly asked: string[] = [];
  private readonly edges: Array<{ parent: Image; child: string; kind: 'manifest' | 'blob' }> = [];

  constructor(private readonly lookup: TrustLookup) {}

  static of(set: TrustedSet): FakeSource {
    return new FakeSource({ state: 'verified', trusted: set });
  }

  /** `parent` references `child`: as an index lists a manifest, or as a manifest uses a blob (config, layer) */
  references(parent: Image, child: Image, kind: 'manifest' | 'blob' = 'manifest'): this {
    this.edges.push({ parent, child: child.digest, kind });
    return this;
  }

  async trust(gun: string): Promise<TrustLookup> {
    this.asked.push(gun);
    return this.lookup;
  }

  async indexesListing(repository: string, digest: string): Promise<Array<{ digest: string; size: number }>> {
    assert.equal(repository, REPO);
    return this.edges
      .filter((e) => e.kind === 'manifest' && e.child === digest)
      .map((e) => ({ digest: e.parent.digest, size: e.parent.size }));
  }
}

const byTag = (source: GateSource, rule: Partial<GateRule>, tag: string, img: Image): Promise<GateVerdict> =>
  new PullGateDecision(source).decide(
    { signers: [], allowDigests: false, ...rule },
    { gun: GUN, repository: REPO, tag, digest: img.digest, size: img.size },
  );

const byDigest = (source: GateSource, rule: Partial<GateRule>, img: Image, size = img.size): Promise<GateVerdict> =>
  new PullGateDecision(source).decide(
    { signers: [], allowDigests: false, ...rule },
    { gun: GUN, repository: REPO, digest: img.digest, size },
  );

const ALLOWED = { allowed: true };
const refused = (reason: string) => ({ allowed: false, reason });
const NO_SIGNED_TAG = 'no signed tag points at this digest (pull by a signed tag, or allow digests in the rule)';
const notByAlice = 'no tag signed by signer alice points at this digest (pull by a signed tag, or allow digests in the rule)';

describe('pull gate decision: trust data', () => {
  it('refuses a repository without trust data, by tag and by digest', async () => {
    const source = new FakeSource({ state: 'absent' });
    assert.deepEqual(await byTag(source, {}, 'v1', A), refused(`no trust data for ${GUN}`));
    assert.deepEqual(await byDigest(source, {}, A), refused(`no trust data for ${GUN}`));
    assert.deepEqual(source.asked, [GUN, GUN]);
  });

  it('refuses a repository whose trust data does not verify, saying why', async () => {
    const source = new FakeSource({ state: 'invalid', reason: 'timestamp expired' });
    assert.deepEqual(await byTag(source, {}, 'v1', A), refused(`the trust data of ${GUN} does not verify: timestamp expired`));
    assert.deepEqual(await byDigest(source, {}, A), refused(`the trust data of ${GUN} does not verify: timestamp expired`));
  });

  it('allowDigests serves any digest without reading trust data, but still gates tags', async () => {
    const source = new FakeSource({ state: 'absent' });
    assert.deepEqual(await byDigest(source, { allowDigests: true }, A), ALLOWED);
    assert.deepEqual(source.asked, []);
    assert.deepEqual(await byTag(source, { allowDigests: true }, 'v1', A), refused(`no trust data for ${GUN}`));
  });
});

describe("pull gate decision: by tag, docker's released roles", () => {
  it('serves a tag released in targets for exactly the digest and size the registry holds', async () => {
    const source = FakeSource.of(await trustData((s) => s.addTarget('v1', A.text)));
    assert.deepEqual(await byTag(source, {}, 'v1', A), ALLOWED);
    assert.deepEqual(source.asked, [GUN]);
  });

  it('serves a tag released in targets/releases', async () => {
    const source = FakeSource.of(
      await trustData((s) => {
        withSigners(s);
        s.addTarget('v1', A.text, 'targets/releases');
      }),
    );
    assert.deepEqual(await byTag(source, {}, 'v1', A), ALLOWED);
  });

  it('refuses a tag nobody signed', async () => {
    const source = FakeSource.of(await trustData((s) => s.addTarget('v1', A.text)));
    assert.deepEqual(await byTag(source, {}, 'v2', A), refused('No valid trust data for v2'));
  });

  it("refuses a tag signed only into a signer's own delegation (not released), with or without required signers", async () => {
    const source = FakeSource.of(
      await trustData((s) => {
        withSigners(s);
        s.addTarget('v1', A.text, 'targets/alice');
      }),
    );
    assert.deepEqual(await byTag(source, {}, 'v1', A), refused('No valid trust data for v1'));
    assert.deepEqual(await byTag(source, { signers: ['alice'] }, 'v1', A), refused('No valid trust data for v1'));
  });

  it('refuses a tag signed only into a delegation below targets/releases', async () => {
    const source = FakeSource.of(
      await trustData((s) => {
        withSigners(s);
        s.delegate('targets/releases/ci', [''], 'targets/releases');
        s.addTarget('v1', A.text, 'targets/releases/ci');
      }),
    );
    assert.deepEqual(await byTag(source, {}, 'v1', A), refused('No valid trust data for v1'));
  });

  it('when targets/releases and targets disagree, serves only what docker pulls (the targets/releases copy)', async () => {
    const source = FakeSource.of(
      await trustData((s) => {
        withSigners(s);
        s.addTarget('v1', A.text, 'targets/releases');
        s.addTarget('v1', B.text, 'targets');
      }),
    );
    assert.deepEqual(await byTag(source, {}, 'v1', A), ALLOWED);
    assert.deepEqual(
      await byTag(source, {}, 'v1', B),
      refused(`the tag is signed for ${A.digest} (${A.size} bytes), but the registry holds ${B.digest} (${B.size} bytes)`),
    );
  });

  it('refuses a tag moved to other bytes after signing', async () => {
    const source = FakeSource.of(await trustData((s) => s.addTarget('v1', A.text)));
    assert.deepEqual(
      await byTag(source, {}, 'v1', B),
      refused(`the tag is signed for ${A.digest} (${A.size} bytes), but the registry holds ${B.digest} (${B.size} bytes)`),
    );
  });

  it('refuses a tag whose signed size is not the size of the manifest the registry holds', async () => {
    const source = FakeSource.of(
      await trustData((s) =>
        s.targets.targets.set('v1', { length: A.size + 1, hashes: { sha256: Buffer.from(A.digest.slice(7), 'hex') } }),
      ),
    );
    assert.deepEqual(
      await byTag(source, {}, 'v1', A),
      refused(`the tag is signed for ${A.digest} (${A.size + 1} bytes), but the registry holds ${A.digest} (${A.size} bytes)`),
    );
  });

  it("refuses a tag whose target has no sha256 (docker's message; parsing already refuses one, so the loaded entry is edited)", async () => {
    const set = await trustData((s) => s.addTarget('v1', A.text));
    delete set.findTarget('v1')!.meta.hashes['sha256'];
    assert.deepEqual(await byTag(FakeSource.of(set), {}, 'v1', A), refused('no valid hash, expecting sha256'));
    assert.deepEqual(await byDigest(FakeSource.of(set), {}, A), refused(NO_SIGNED_TAG));
  });
});

describe('pull gate decision: by tag, required signers', () => {
  it('serves a tag the required signer signed for the same digest', async () => {
    const source = FakeSource.of(
      await trustData((s) => {
        withSigners(s);
        signAs(s, 'alice', 'v1', A);
      }),
    );
    assert.deepEqual(await byTag(source, { signers: ['alice'] }, 'v1', A), ALLOWED);
    assert.deepEqual(await byTag(source, { signers: ['targets/alice'] }, 'v1', A), ALLOWED);
  });

  it('refuses a tag only another signer signed', async () => {
    const source = FakeSource.of(
      await trustData((s) => {
        withSigners(s);
        signAs(s, 'bob', 'v1', A);
      }),
    );
    assert.deepEqual(await byTag(source, { signers: ['alice'] }, 'v1', A), refused('tag v1 is not signed by signer alice'));
  });

  it("refuses a tag re-signed by another signer for other bytes of the same size (the required signer's copy is compared by digest)", async () => {
    const source = FakeSource.of(
      await trustData((s) => {
        withSigners(s);
        signAs(s, 'alice', 'v1', A);
        signAs(s, 'bob', 'v1', B); // bob's copy replaces alice's in targets/releases
      }),
    );
    assert.deepEqual(await byTag(source, { signers: ['alice'] }, 'v1', B), refused('tag v1 is not signed by signer alice'));
    assert.deepEqual(await byTag(source, { signers: ['bob'] }, 'v1', B), ALLOWED);
  });

  it("refuses a required signer's copy with the right digest but another size", async () => {
    const source = FakeSource.of(
      await trustData((s) => {
        withSigners(s);
        s.addTarget('v1', A.text, 'targets/releases');
        s.delegated
          .get('targets/alice')!
          .targets.set('v1', { length: A.size + 1, hashes: { sha256: Buffer.from(A.digest.slice(7), 'hex') } });
      }),
    );
    assert.deepEqual(await byTag(source, { signers: ['alice'] }, 'v1', A), refused('tag v1 is not signed by signer alice'));
  });

  it("refuses a signer's signature on a tag outside the paths delegated to it", async () => {
    const source = FakeSource.of(
      await trustData((s) => {
        s.delegate('targets/releases');
        s.delegate('targets/alice', ['other/']);
        signAs(s, 'alice', 'v1', A);
      }),
    );
    assert.deepEqual(await byTag(source, {}, 'v1', A), ALLOWED);
    assert.deepEqual(await byTag(source, { signers: ['alice'] }, 'v1', A), refused('tag v1 is not signed by signer alice'));
  });

  it('any one of several signers is enough; the refusal names them all', async () => {
    const source = FakeSource.of(
      await trustData((s) => {
        withSigners(s);
        signAs(s, 'carol', 'v1', A);
        signAs(s, 'bob', 'v2', C);
      }),
    );
    assert.deepEqual(await byTag(source, { signers: ['alice', 'carol'] }, 'v1', A), ALLOWED);
    assert.deepEqual(
      await byTag(source, { signers: ['alice', 'carol'] }, 'v2', C),
      refused('tag v2 is not signed by any of the signers alice, carol'),
    );
  });

  it("signer targets is the repository owner's own role: a tag released only through targets/releases does not satisfy it", async () => {
    const source = FakeSource.of(
      await trustData((s) => {
        withSigners(s);
        s.addTarget('v1', A.text);
        signAs(s, 'alice', 'v2', C);
      }),
    );
    assert.deepEqual(await byTag(source, { signers: ['targets'] }, 'v1', A), ALLOWED);
    assert.deepEqual(await byTag(source, { signers: ['targets'] }, 'v2', C), refused('tag v2 is not signed by signer targets'));
  });
});

describe('pull gate decision: by digest', () => {
  it('serves a digest a released tag points at', async () => {
    const source = FakeSource.of(await trustData((s) => s.addTarget('v1', A.text)));
    assert.deepEqual(await byDigest(source, {}, A), ALLOWED);
  });

  it('refuses a digest no signed tag points at', async () => {
    const source = FakeSource.of(await trustData((s) => s.addTarget('v1', A.text)));
    assert.deepEqual(await byDigest(source, {}, B), refused(NO_SIGNED_TAG));
  });

  it("refuses a digest only a tag in a signer's own delegation points at, with or without required signers", async () => {
    const source = FakeSource.of(
      await trustData((s) => {
        withSigners(s);
        s.addTarget('v1', A.text, 'targets/alice');
      }),
    );
    assert.deepEqual(await byDigest(source, {}, A), refused(NO_SIGNED_TAG));
    assert.deepEqual(await byDigest(source, { signers: ['alice'] }, A), refused(notByAlice));
  });

  it('refuses a digest only a tag below targets/releases points at', async () => {
    const source = FakeSource.of(
      await trustData((s) => {
        withSigners(s);
        s.delegate('targets/releases/ci', [''], 'targets/releases');
        s.addTarget('v1', A.text, 'targets/releases/ci');
      }),
    );
    assert.deepEqual(await byDigest(source, {}, A), refused(NO_SIGNED_TAG));
  });

  it("refuses a digest whose signed tag gives another size than the registry's manifest", async () => {
    const source = FakeSource.of(
      await trustData((s) =>
        s.targets.targets.set('v1', { length: A.size + 1, hashes: { sha256: Buffer.from(A.digest.slice(7), 'hex') } }),
      ),
    );
    assert.deepEqual(await byDigest(source, {}, A), refused(NO_SIGNED_TAG));
    assert.deepEqual(await byDigest(source, {}, A, A.size + 1), ALLOWED);
  });

  it('with required signers: serves a digest the signer signed, refuses one only another signer signed', async () => {
    const source = FakeSource.of(
      await trustData((s) => {
        withSigners(s);
        signAs(s, 'alice', 'v1', A);
        signAs(s, 'bob', 'v2', C);
      }),
    );
    assert.deepEqual(await byDigest(source, { signers: ['alice'] }, A), ALLOWED);
    assert.deepEqual(await byDigest(source, { signers: ['alice'] }, C), refused(notByAlice));
    assert.deepEqual(
      await byDigest(source, { signers: ['alice', 'carol'] }, C),
      refused(
        'no tag signed by any of the signers alice, carol points at this digest (pull by a signed tag, or allow digests in the rule)',
      ),
    );
  });

  it("refuses a digest another signer re-signed a tag for when the required signer's copy of the tag has other bytes of the same size", async () => {
    const source = FakeSource.of(
      await trustData((s) => {
        withSigners(s);
        signAs(s, 'alice', 'v1', A);
        signAs(s, 'bob', 'v1', B);
      }),
    );
    assert.deepEqual(await byDigest(source, { signers: ['alice'] }, B), refused(notByAlice));
    assert.deepEqual(await byDigest(source, { signers: ['bob'] }, B), ALLOWED);
  });

  it('refuses a digest whose only signature by the required signer is outside the paths delegated to it', async () => {
    const source = FakeSource.of(
      await trustData((s) => {
        s.delegate('targets/releases');
        s.delegate('targets/alice', ['other/']);
        signAs(s, 'alice', 'v1', A);
      }),
    );
    assert.deepEqual(await byDigest(source, {}, A), ALLOWED);
    assert.deepEqual(await byDigest(source, { signers: ['alice'] }, A), refused(notByAlice));
  });
});

describe('pull gate decision: by digest, through a signed index', () => {
  const amd = image('{"platform":"amd64"}');
  const arm = image('{"platform":"arm64"}');
  const index = image('{"manifests":["amd64","arm64"]}');

  it('serves the platform manifests of a signed index, not other manifests', async () => {
    const source = FakeSource.of(await trustData((s) => s.addTarget('v1', index.text)))
      .references(index, amd)
      .references(index, arm);
    assert.deepEqual(await byDigest(source, {}, amd), ALLOWED);
    assert.deepEqual(await byDigest(source, {}, arm), ALLOWED);
    assert.deepEqual(await byDigest(source, {}, A), refused(NO_SIGNED_TAG));
  });

  it('serves the platform manifests of an index listed by a signed index', async () => {
    const outer = image('{"manifests":["inner"]}');
    const source = FakeSource.of(await trustData((s) => s.addTarget('v1', outer.text)))
      .references(outer, index)
      .references(index, amd);
    assert.deepEqual(await byDigest(source, {}, amd), ALLOWED);
  });

  it('follows at most four levels of indexes, and stops on a loop', async () => {
    const levels = [0, 1, 2, 3, 4].map((i) => image(`{"level":${i}}`));
    const source = FakeSource.of(await trustData((s) => s.addTarget('v1', levels[4]!.text))).references(levels[0]!, amd);
    for (let i = 1; i < levels.length; i++) source.references(levels[i]!, levels[i - 1]!);
    assert.deepEqual(await byDigest(source, {}, levels[0]!), ALLOWED);
    assert.deepEqual(await byDigest(source, {}, amd), refused(NO_SIGNED_TAG));
    source.references(arm, B).references(B, arm);
    assert.deepEqual(await byDigest(source, {}, arm), refused(NO_SIGNED_TAG));
  });

  it('with required signers: serves the platform manifests of an index the signer signed, not of one only another signer signed', async () => {
    const other = image('{"manifests":["amd64","other"]}');
    const source = FakeSource.of(
      await trustData((s) => {
        withSigners(s);
        signAs(s, 'bob', 'v1', other);
      }),
    ).references(other, amd);
    assert.deepEqual(await byDigest(source, { signers: ['alice'] }, amd), refused(notByAlice));
    assert.deepEqual(await byDigest(source, { signers: ['bob'] }, amd), ALLOWED);
  });

  it("refuses the platform manifests of an index only a signer's own delegation signed", async () => {
    const source = FakeSource.of(
      await trustData((s) => {
        withSigners(s);
        s.addTarget('v1', index.text, 'targets/alice');
      }),
    ).references(index, amd);
    assert.deepEqual(await byDigest(source, {}, amd), refused(NO_SIGNED_TAG));
    assert.deepEqual(await byDigest(source, { signers: ['alice'] }, amd), refused(notByAlice));
  });

  it("refuses the platform manifests of an index whose signed size is not the registry's", async () => {
    const source = FakeSource.of(
      await trustData((s) =>
        s.targets.targets.set('v1', { length: index.size + 1, hashes: { sha256: Buffer.from(index.digest.slice(7), 'hex') } }),
      ),
    );
    source.references(index, amd);
    assert.deepEqual(await byDigest(source, {}, amd), refused(NO_SIGNED_TAG));
  });

  it("refuses an unsigned manifest whose bytes are a signed image's layer or config (only index → manifest edges count)", async () => {
    const source = FakeSource.of(await trustData((s) => s.addTarget('v1', A.text))).references(A, B, 'blob');
    assert.deepEqual(await byDigest(source, {}, B), refused(NO_SIGNED_TAG));
  });
});
