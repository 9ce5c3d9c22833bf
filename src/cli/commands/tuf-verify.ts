/** `dct tuf verify DIR --gun GUN`: verify a folder of notary metadata offline and list its targets. */
import type { Command } from 'commander';
import { MetadataDirectory } from '../../adapters/metadata-dir.js';
import { loadRepository } from '../../app/load-repository.js';
import { GoTime } from '../../core/go-time.js';
import { tabwrite } from '../table.js';
import { type Output, parseFormat } from '../output.js';

export function registerTufVerify(tuf: Command, out: Output): void {
  tuf
    .command('verify')
    .description('verify a folder of TUF metadata (root.json, timestamp.json, …, as in a notary cache) and list its targets')
    .argument('<dir>', 'folder holding <role>.json files')
    .requiredOption('--gun <gun>', 'the repository name the metadata is for (root certificates must name it)')
    .option('--at <time>', 'verify as of this RFC 3339 time instead of now')
    .option('--format <format>', 'table or json', 'table')
    .action(async (dir: string, opts: { gun: string; at?: string; format: string }) => {
      const format = parseFormat(opts.format);
      const now = opts.at ? GoTime.parse(opts.at).toDate() : new Date();
      const folder = new MetadataDirectory(dir);
      await folder.assertHoldsRoot();
      const { trusted, warnings } = await loadRepository(folder, { gun: opts.gun, now });
      for (const w of warnings) out.warn(w);
      const targets = trusted.listTargets().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      if (format === 'json') {
        out.json({
          gun: opts.gun,
          versions: {
            root: trusted.root.signed.version,
            timestamp: trusted.timestamp?.signed.version,
            snapshot: trusted.snapshot?.signed.version,
            targets: trusted.targets()?.signed.version,
          },
          targets: targets.map((t) => ({
            name: t.name,
            digest: t.meta.hashes['sha256']?.toString('hex') ?? null,
            size: t.meta.length,
            role: t.role,
          })),
        });
        return;
      }
      if (targets.length === 0) {
        out.text('\nNo targets present in this repository.\n\n');
        return;
      }
      const rows = [
        ['NAME', 'DIGEST', 'SIZE (BYTES)', 'ROLE'],
        ['----', '------', '------------', '----'],
        ...targets.map((t) => [t.name, t.meta.hashes['sha256']?.toString('hex') ?? '', String(t.meta.length), t.role]),
      ];
      out.text(tabwrite(rows));
    });
}
