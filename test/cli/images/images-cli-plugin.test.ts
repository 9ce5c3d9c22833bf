/**
 * The `docker-trust` CLI plugin in process against an in-process `dct server`:
 * its metadata, docker's command line (global flags, then trust) running `dct
 * trust` with docker's names, and `plugin install` (a symlink to the built
 * entry point, a script for the sources; docker 28 keeps its built-in trust).
 */
import assert from 'node:assert/strict';
import { chmodSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { installPlugin, pluginInvocation } from '../../../src/cli/commands/plugin.js';
import { PROJECT_ROOT } from '../../support/fixtures.js';
import { interopSkipHere, missingTool } from '../../support/interop.js';
import { APP, execFileP, useImagesServer, user } from './images-cli-world.js';

describe('dct pin / docker / plugin (in process, against dct server)', () => {
  useImagesServer();

  describe('docker-trust plugin', () => {
    it("metadata; docker's command line (global flags, then trust) runs dct trust with docker's names", async () => {
      const u = user();
      const meta = await u.plugin(['docker-cli-plugin-metadata']);
      assert.deepEqual(JSON.parse(meta.out), {
        SchemaVersion: '0.1.0',
        Vendor: 'dct',
        Version: '9.8.7',
        ShortDescription: 'Manage trust on Docker images (dct: Docker Content Trust, maintained)',
      });
      const direct = await u.trust(['inspect', `${APP}:1.0`]);
      const viaDocker = await u.plugin(['--config', join(u.home, 'docker'), '-D', 'trust', 'inspect', `${APP}:1.0`]);
      assert.equal(viaDocker.code, 0);
      assert.equal(viaDocker.out, direct.out);
      const standalone = await u.plugin(['inspect', `${APP}:1.0`]);
      assert.equal(standalone.out, direct.out);
      const usage = await u.plugin(['trust', 'sign']);
      assert.equal(
        usage.err,
        "docker: 'docker trust sign' requires 1 argument\n\nUsage:  docker trust sign IMAGE:TAG\n\nRun 'docker trust sign --help' for more information\n",
      );
      assert.deepEqual(pluginInvocation(['node', '/x/cli-plugins/docker-trust', 'trust', 'inspect'], {}), ['trust', 'inspect']);
      assert.deepEqual(pluginInvocation(['node', '/x/main.js', 'x'], { DCT_INVOKED_AS: 'docker-trust' }), ['x']);
      assert.equal(pluginInvocation(['node', '/x/main.js', 'trust'], {}), undefined);
    });

    it('plugin install: a symlink to the built entry point, a script for the sources; docker 28 keeps its built-in trust', async (t) => {
      const u = user();
      const dir = join(u.home, 'docker', 'cli-plugins');
      const js = await installPlugin(dir, '/opt/dct/dist/bin/main.js');
      assert.equal(js.kind, 'symlink');
      assert.equal(readlinkSync(join(dir, 'docker-trust')), '/opt/dct/dist/bin/main.js');
      const ts = await installPlugin(dir, join(PROJECT_ROOT, 'src', 'cli', 'main.ts'));
      assert.equal(ts.kind, 'script');
      assert.equal(statSync(join(dir, 'docker-trust')).mode & 0o111, 0o111);
      // the installed plugin answers docker's metadata question (main.ts dispatch) from any folder
      const { stdout } = await execFileP(join(dir, 'docker-trust'), ['docker-cli-plugin-metadata'], { cwd: '/' });
      assert.equal((JSON.parse(stdout) as { SchemaVersion: string }).SchemaVersion, '0.1.0');

      if (interopSkipHere(t, missingTool('docker'))) return;
      const docker = await execFileP('docker', ['--help'], { env: { ...process.env, DOCKER_CONFIG: join(u.home, 'docker') } });
      // docker CLI 28: `trust` is a built-in command, the plugin is listed as invalid and never run
      assert.match(docker.stdout, /Invalid Plugins:\n {2}trust +plugin "trust" duplicates builtin command/);
      // under another name docker 28 accepts the metadata and runs it with its plugin protocol
      const other = join(u.home, 'docker', 'cli-plugins', 'docker-dcttrust');
      writeFileSync(
        other,
        `#!/bin/sh\nfor a; do shift; if [ "$a" = dcttrust ]; then set -- "$@" trust; else set -- "$@" "$a"; fi; done\nexec '${join(dir, 'docker-trust')}' "$@"\n`,
      );
      chmodSync(other, 0o755);
      const env = { ...process.env, ...u.env };
      const listed = await execFileP('docker', ['--help'], { env });
      assert.match(listed.stdout, /\n {2}dcttrust\* +Manage trust on Docker images \(dct: Docker Content Trust, maintained\)\n/);
      const inspected = await execFileP('docker', ['dcttrust', 'inspect', `${APP}:1.0`], { env, cwd: '/' });
      assert.equal(inspected.stdout, (await u.trust(['inspect', `${APP}:1.0`])).out);
    });
  });
});
