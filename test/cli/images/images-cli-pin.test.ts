/**
 * `dct pin` in process against an in-process `dct server`: image references in
 * Dockerfiles and YAML rewritten to name:tag@sha256 (every other byte and the
 * file mode kept), unsigned references failing their file only, `--check`,
 * stale pins re-pinned with `--update`, digest pins that must be signed,
 * symlinks followed (`dct verify`: test/cli/verify.test.ts).
 */
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { APP, BASE, D1, D2, D3, D9, MISSING, notExist, useImagesServer, user } from './images-cli-world.js';

describe('dct pin / docker / plugin (in process, against dct server)', () => {
  useImagesServer();

  describe('dct pin', () => {
    const dockerfile = [
      '# syntax=docker/dockerfile:1',
      `FROM --platform=$BUILDPLATFORM ${BASE}:3.19 AS build`,
      'RUN make',
      `FROM ${APP}`,
      'FROM build AS test',
      'FROM scratch',
      'COPY --from=build /out /',
      '',
    ].join('\n');
    const manifest = [
      'apiVersion: v1',
      'kind: Pod',
      'spec:',
      '  containers:',
      `  - image: "${APP}:1.0"   # pinned by dct`,
      '    name: app',
      '---',
      'kind: Job',
      'spec:',
      '  template:',
      '    spec:',
      '      initContainers:',
      `        - image: ${BASE}:3.19@sha256:${D3}`,
      '',
    ].join('\r\n');

    it('rewrites Dockerfiles and YAML to name:tag@sha256, keeps every other byte and the file mode', async () => {
      const u = user();
      writeFileSync(join(u.home, 'Dockerfile'), dockerfile);
      writeFileSync(join(u.home, 'pod.yaml'), manifest);
      chmodSync(join(u.home, 'pod.yaml'), 0o640);
      const r = await u.pin(['Dockerfile', 'pod.yaml']);
      assert.deepEqual(r, {
        code: 0,
        out: [
          `Dockerfile:2: ${BASE}:3.19 -> ${BASE}:3.19@sha256:${D3}`,
          `Dockerfile:4: ${APP} -> ${APP}:latest@sha256:${D2}`,
          'Dockerfile: pinned 2 references',
          `pod.yaml:5: ${APP}:1.0 -> ${APP}:1.0@sha256:${D1}`,
          'pod.yaml: pinned 1 reference, 1 already pinned',
          '',
        ].join('\n'),
        err: 'Dockerfile:5: skipped build: names an earlier build stage\nDockerfile:6: skipped scratch: scratch is not an image\n',
      });
      assert.equal(
        readFileSync(join(u.home, 'Dockerfile'), 'utf8'),
        dockerfile.replace(`${BASE}:3.19 AS`, `${BASE}:3.19@sha256:${D3} AS`).replace(`FROM ${APP}\n`, `FROM ${APP}:latest@sha256:${D2}\n`),
      );
      assert.equal(readFileSync(join(u.home, 'pod.yaml'), 'utf8'), manifest.replace(`"${APP}:1.0"`, `"${APP}:1.0@sha256:${D1}"`));
      assert.equal(statSync(join(u.home, 'pod.yaml')).mode & 0o777, 0o640);
      assert.deepEqual(
        readdirSync(u.home).filter((f) => f.includes('.tmp')),
        [],
      );
      // a second run changes nothing
      const again = await u.pin(['Dockerfile', 'pod.yaml'], { format: 'json' });
      const files = JSON.parse(again.out) as Array<{ status: string; references: Array<{ status: string }> }>;
      assert.deepEqual(
        files.map((f) => f.status),
        ['unchanged', 'unchanged'],
      );
      assert.deepEqual(
        files[1]!.references.map((x) => x.status),
        ['verified', 'verified'],
      );
    });

    it('an unsigned reference fails its file and nothing is written to it; other files are pinned', async () => {
      const u = user();
      const compose = `services:\n  app:\n    image: ${APP}:2.0\n  db:\n    image: ${BASE}:3.19\n  web:\n    image: \${WEB_IMAGE}\n`;
      writeFileSync(join(u.home, 'compose.yaml'), compose);
      writeFileSync(join(u.home, 'k8s.yml'), `containers:\n- image: ${APP}:stable\n`);
      writeFileSync(join(u.home, 'gone.yaml'), `- image: ${MISSING}:1\n`);
      const r = await u.pin(['compose.yaml', 'k8s.yml', 'gone.yaml', 'absent.yaml']);
      assert.equal(r.code, 1);
      assert.equal(
        r.out,
        `compose.yaml:5: ${BASE}:3.19 -> ${BASE}:3.19@sha256:${D3}\nk8s.yml:2: ${APP}:stable -> ${APP}:stable@sha256:${D1}\nk8s.yml: pinned 1 reference\n`,
      );
      assert.equal(
        r.err,
        [
          `compose.yaml:3: ${APP}:2.0: No valid trust data for 2.0`,
          'compose.yaml:7: skipped ${WEB_IMAGE}: contains a variable ($)',
          'compose.yaml: not written: 1 reference failed verification',
          `gone.yaml:1: ${MISSING}:1: ${notExist(MISSING)}`,
          'gone.yaml: not written: 1 reference failed verification',
          'open absent.yaml: no such file or directory',
          '',
        ].join('\n'),
      );
      assert.equal(readFileSync(join(u.home, 'compose.yaml'), 'utf8'), compose);
      assert.equal(readFileSync(join(u.home, 'k8s.yml'), 'utf8'), `containers:\n- image: ${APP}:stable@sha256:${D1}\n`);
    });

    it('--check changes nothing and exits 1 when a file would change; 0 when all are pinned', async () => {
      const u = user();
      writeFileSync(join(u.home, 'Dockerfile'), `FROM ${APP}:1.0\n`);
      writeFileSync(join(u.home, 'ok.yaml'), `image: ${APP}:1.0@sha256:${D1}\n`);
      assert.deepEqual(await u.pin(['Dockerfile', 'ok.yaml'], { check: true }), {
        code: 1,
        out: `Dockerfile:1: ${APP}:1.0 -> ${APP}:1.0@sha256:${D1}\nDockerfile: would pin 1 reference\nok.yaml: up to date (1 reference pinned and signed)\n`,
        err: '',
      });
      assert.equal(readFileSync(join(u.home, 'Dockerfile'), 'utf8'), `FROM ${APP}:1.0\n`);
      assert.equal((await u.pin(['ok.yaml'], { check: true })).code, 0);
    });

    it('a stale pin is an error, re-pinned with --update; a digest pin must be signed; symlinks are followed', async () => {
      const u = user();
      writeFileSync(join(u.home, 'real.yaml'), `a:\n  image: ${APP}:latest@sha256:${D1} # old\n`);
      symlinkSync('real.yaml', join(u.home, 'link.yaml'));
      const stale = await u.pin(['link.yaml']);
      assert.equal(stale.code, 1);
      assert.equal(
        stale.err,
        `link.yaml:2: ${APP}:latest@sha256:${D1}: pinned to sha256:${D1}, but the signed digest of ${APP}:latest is sha256:${D2} (--update re-pins it)\nlink.yaml: not written: 1 reference failed verification\n`,
      );
      const updated = await u.pin(['link.yaml'], { update: true });
      assert.equal(updated.code, 0, updated.err);
      assert.equal(readFileSync(join(u.home, 'real.yaml'), 'utf8'), `a:\n  image: ${APP}:latest@sha256:${D2} # old\n`);
      assert.ok(lstatSync(join(u.home, 'link.yaml')).isSymbolicLink());

      writeFileSync(join(u.home, 'digest.yaml'), `- image: ${APP}@sha256:${D1}\n- image: ${APP}@sha256:${D9}\n`);
      const digests = await u.pin(['digest.yaml']);
      assert.equal(digests.code, 1);
      assert.match(digests.err, new RegExp(`^digest.yaml:2: ${APP}@sha256:${D9}: No signed tag of ${APP} points at sha256:${D9}\n`));
    });
  });
});
