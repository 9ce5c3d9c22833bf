/**
 * The repository commands of the notary CLI (`N:cmd/notary/tuf.go`): init, add,
 * addhash, remove, publish, list, lookup, verify, status, reset, witness, delete,
 * with notary's arguments, outputs, error texts and order of checks.
 */
import { rm } from 'node:fs/promises';
import type { CommandSpec, Invocation } from '../../cobra/command.js';
import type { FlagSpec } from '../../cobra/flags.js';
import { CliFailure } from '../../cli-failure.js';
import type { HostEnvironment } from './context.js';
import { notaryTable } from './output.js';
import { gunOf, publishStaged, usageError, withContext, type CommandRun } from './publish.js';
import { init } from './repo-init.js';
import { list, lookup, verify } from './repo-read.js';
import { add, addHash, remove, witness } from './repo-stage.js';

export const AUTO_PUBLISH_HELP = 'Automatically attempt to publish after staging the change. Will also publish existing staged changes.';
const publishFlag: FlagSpec = { name: 'publish', short: 'p', kind: 'bool', usage: AUTO_PUBLISH_HELP };

export function repositoryCommands(host: HostEnvironment): CommandSpec[] {
  const run = (body: (r: CommandRun) => Promise<void>) => (inv: Invocation) => withContext(inv, host, body);
  return [
    {
      use: 'init [ GUN ]',
      short: 'Initializes a local trusted collection.',
      long: 'Initializes a local trusted collection identified by the Globally Unique Name. This is an online operation.',
      flags: [
        { name: 'rootkey', kind: 'string', usage: 'Root key to initialize the repository with' },
        {
          name: 'rootcert',
          kind: 'string',
          usage: 'Root certificate must match root key if a root key is supplied, otherwise it must match a key present in keystore',
        },
        publishFlag,
      ],
      run: (inv) => {
        if (inv.args.length < 1) throw usageError(inv, 'Must specify a GUN');
        return withContext(inv, host, (r) => init(r, host));
      },
    },
    {
      use: 'status [ GUN ]',
      short: 'Displays status of unpublished changes to the local trusted collection.',
      long: 'Displays status of unpublished changes to the local trusted collection identified by the Globally Unique Name.',
      run: (inv) => {
        if (inv.args.length < 1) throw usageError(inv, 'Must specify a GUN');
        return run(status)(inv);
      },
    },
    {
      use: 'reset [ GUN ]',
      short: 'Resets unpublished changes for the local trusted collection.',
      long: 'Resets unpublished changes for the local trusted collection identified by the Globally Unique Name.',
      flags: [
        { name: 'number', short: 'n', kind: 'ints', usage: 'Numbers of specific changes to exclusively reset, as shown in status list' },
        { name: 'all', kind: 'bool', usage: 'Reset all changes shown in the status list' },
      ],
      run: (inv) => {
        if (inv.args.length < 1) throw usageError(inv, 'Must specify a GUN');
        if (!inv.flags.bool('all') && (inv.flags.ints('number') ?? []).length < 1)
          throw usageError(inv, 'Must specify changes to reset with -n or the --all flag');
        return run(reset)(inv);
      },
    },
    {
      use: 'publish [ GUN ]',
      short: 'Publishes the local trusted collection.',
      long: 'Publishes the local trusted collection identified by the Globally Unique Name, sending the local changes to a remote trusted server.',
      run: (inv) => {
        if (inv.args.length < 1) throw usageError(inv, 'Must specify a GUN');
        return run(publish)(inv);
      },
    },
    {
      use: 'lookup [ GUN ] <target>',
      short: 'Looks up a specific target in a remote trusted collection.',
      long: 'Looks up a specific target in a remote trusted collection identified by the Globally Unique Name.',
      run: (inv) => {
        if (inv.args.length < 2) throw usageError(inv, 'Must specify a GUN and target');
        return run(lookup)(inv);
      },
    },
    {
      use: 'list [ GUN ]',
      short: 'Lists targets for a remote trusted collection.',
      long: 'Lists all targets for a remote trusted collection identified by the Globally Unique Name. This is an online operation.',
      flags: [{ name: 'roles', short: 'r', kind: 'strings', usage: 'Delegation roles to list targets for (will shadow targets role)' }],
      run: (inv) => {
        if (inv.args.length < 1) throw usageError(inv, 'Must specify a GUN');
        return run(list)(inv);
      },
    },
    {
      use: 'add [ GUN ] <target> <file>',
      short: 'Adds the file as a target to the trusted collection.',
      long: 'Adds the file as a target to the local trusted collection identified by the Globally Unique Name. This is an offline operation.  Please then use `publish` to push the changes to the remote trusted collection.',
      flags: [
        { name: 'roles', short: 'r', kind: 'strings', usage: 'Delegation roles to add this target to' },
        publishFlag,
        { name: 'custom', kind: 'string', usage: 'Path to the file containing custom data for this target' },
      ],
      run: (inv) => {
        if (inv.args.length < 3) throw usageError(inv, 'Must specify a GUN, target, and path to target data');
        return run(add)(inv);
      },
    },
    {
      use: 'remove [ GUN ] <target>',
      short: 'Removes a target from a trusted collection.',
      long: 'Removes a target from the local trusted collection identified by the Globally Unique Name. This is an offline operation.  Please then use `publish` to push the changes to the remote trusted collection.',
      flags: [{ name: 'roles', short: 'r', kind: 'strings', usage: 'Delegation roles to remove this target from' }, publishFlag],
      run: (inv) => {
        if (inv.args.length < 2) throw new CliFailure('Must specify a GUN and target');
        return run(remove)(inv);
      },
    },
    {
      use: 'addhash [ GUN ] <target> <byte size> <hashes>',
      short: 'Adds the byte size and hash(es) as a target to the trusted collection.',
      long: 'Adds the specified byte size and hash(es) as a target to the local trusted collection identified by the Globally Unique Name. This is an offline operation.  Please then use `publish` to push the changes to the remote trusted collection.',
      flags: [
        { name: 'roles', short: 'r', kind: 'strings', usage: 'Delegation roles to add this target to' },
        { name: 'sha256', kind: 'string', usage: 'hex encoded sha256 of the target to add' },
        { name: 'sha512', kind: 'string', usage: 'hex encoded sha512 of the target to add' },
        publishFlag,
        { name: 'custom', kind: 'string', usage: 'Path to the file containing custom data for this target' },
      ],
      run: (inv) => {
        if (inv.args.length < 3 || (inv.flags.string('sha256') === '' && inv.flags.string('sha512') === '')) {
          throw usageError(inv, 'Must specify a GUN, target, byte size of target data, and at least one hash');
        }
        return run(addHash)(inv);
      },
    },
    {
      use: 'verify [ GUN ] <target>',
      short: 'Verifies if the content is included in the remote trusted collection',
      long: 'Verifies if the data passed in STDIN is included in the remote trusted collection identified by the Globally Unique Name.',
      flags: [
        { name: 'input', short: 'i', kind: 'string', usage: 'Read from a file, instead of STDIN' },
        { name: 'output', short: 'o', kind: 'string', usage: 'Write to a file, instead of STDOUT' },
        { name: 'quiet', short: 'q', kind: 'bool', usage: 'No output except for errors' },
      ],
      run: (inv) => {
        if (inv.args.length < 2) throw usageError(inv, 'Must specify a GUN and target');
        return withContext(inv, host, (r) => verify(r, host));
      },
    },
    {
      use: 'witness [ GUN ] <role> ...',
      short: "Marks roles to be re-signed the next time they're published",
      long: "Marks roles to be re-signed the next time they're published. Currently will always bump version and expiry for role. N.B. behaviour may change when thresholding is introduced.",
      flags: [publishFlag],
      run: (inv) => {
        if (inv.args.length < 2) throw usageError(inv, 'Please provide a GUN and at least one role to witness');
        return run(witness)(inv);
      },
    },
    {
      use: 'delete [ GUN ]',
      short: 'Deletes all content for a trusted collection',
      long: 'Deletes all local content for a trusted collection identified by the Globally Unique Name. Remote data can also be deleted with an additional flag.',
      flags: [{ name: 'remote', kind: 'bool', usage: 'Delete remote data for GUN in addition to local cache' }],
      run: (inv) => {
        if (inv.args.length < 1) throw usageError(inv, 'Must specify a GUN');
        return run(deleteGun)(inv);
      },
    },
  ];
}

async function status(r: CommandRun): Promise<void> {
  const gun = gunOf(r);
  const changes = await r.ctx.changelist(gun).list();
  r.report.set(
    'changes',
    changes.map((c, i) => ({ index: i, action: c.action, scope: c.scope, type: c.type, path: c.path })),
  );
  if (changes.length === 0) {
    r.report.text(`No unpublished changes for ${gun}\n`);
    return;
  }
  r.report.text(`Unpublished changes for ${gun}:\n\n`);
  r.report.text(
    notaryTable(
      ['#', 'ACTION', 'SCOPE', 'TYPE', 'PATH'],
      changes.map((c, i) => [String(i), c.action, c.scope, c.type, c.path]),
    ),
  );
}

async function reset(r: CommandRun): Promise<void> {
  const gun = gunOf(r);
  const cl = r.ctx.changelist(gun);
  if (r.inv.flags.bool('all')) await cl.clear();
  else await cl.remove(r.inv.flags.ints('number') ?? []);
  r.report.text(`Successfully reset specified changes for repository ${gun}\n`);
  r.report.set('reset', true);
}

async function publish(r: CommandRun): Promise<void> {
  const gun = gunOf(r);
  r.report.text(`Pushing changes to ${gun}\n`);
  const repo = await r.ctx.repository(gun);
  await publishStaged(r, repo);
  r.report.text(`Successfully published changes for repository ${gun}\n`);
  r.report.set('published', true);
}

async function deleteGun(r: CommandRun): Promise<void> {
  const gun = gunOf(r);
  const remoteToo = r.inv.flags.bool('remote');
  let remote;
  if (remoteToo) remote = await r.ctx.remote(gun);
  r.report.text(`Deleting trust data for repository ${gun}\n`);
  try {
    await rm(r.ctx.repositoryDir(gun), { recursive: true, force: true });
  } catch (err) {
    throw new CliFailure(`error clearing TUF repo data: ${(err as Error).message}`);
  }
  if (remoteToo) {
    if (!remote) throw new CliFailure('client is offline');
    await remote.deleteRepository();
  }
  r.report.text(`Successfully deleted local${remoteToo ? ' and remote' : ''} trust data for repository ${gun}\n`);
  r.report.set('deleted', { local: true, remote: remoteToo });
}
