/**
 * The ```sh blocks of one README section, as a docs test runs them: grouped by the `###`
 * heading they are under, with the HTML comment written on the line before a block (how
 * the README says what the test does with it), and a runner that pastes a heading's blocks
 * into one bash, as a user pastes them into one terminal, and splits the output per block.
 *
 *   const blocks = sectionBlocks(readFileSync('README.md', 'utf8'), 'Leaving notary.docker.io / notary-server');
 *   const run = await runBlocks(blocks.filter((b) => b.heading.startsWith('Path 2')), { cwd, env });
 */
import { spawn } from 'node:child_process';

export interface ShellBlock {
  /** the `###` heading the block is under ('' before the first one) */
  heading: string;
  /** the block's text, its list indentation removed */
  code: string;
  /** the HTML comment on the line before the fence, without `<!--`/`-->` (undefined: none) */
  note: string | undefined;
  /** 1-based line of the opening fence in the README */
  line: number;
}

/** The ```sh blocks of the `## title` section (up to the next `## `), in order. */
export function sectionBlocks(markdown: string, title: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`README has no section "## ${title}"`);
  const blocks: ShellBlock[] = [];
  let heading = '';
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('## ')) break;
    if (line.startsWith('### ')) heading = line.slice(4).trim();
    const fence = /^(\s*)```(\w*)\s*$/.exec(line);
    if (!fence) continue;
    const indent = fence[1] as string;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !new RegExp(`^${indent}\`\`\`\\s*$`).test(lines[j] as string); j++) {
      body.push((lines[j] as string).startsWith(indent) ? (lines[j] as string).slice(indent.length) : (lines[j] as string));
    }
    if (fence[2] === 'sh') {
      const note = /^\s*<!--\s*(.*?)\s*-->\s*$/.exec(lines[i - 1] ?? '');
      blocks.push({ heading, code: body.join('\n'), note: note?.[1], line: i + 1 });
    }
    i = j;
  }
  return blocks;
}

/** What a block's note asks: `skip` (not run by the test), the tools it needs, or nothing. */
export function blockNeeds(block: ShellBlock): { skip: boolean; tools: string[] } {
  const note = block.note ?? '';
  if (/^not run by the test\b/.test(note)) return { skip: true, tools: [] };
  const when = /^run by the test when (.+?) (?:is|are) installed/.exec(note);
  const tools = when ? (when[1] as string).split(/,\s*|\s+and\s+/).filter((t) => t !== '') : [];
  return { skip: false, tools };
}

export interface BlocksRun {
  /** bash's exit code (null: killed at the timeout) */
  code: number | null;
  /** stdout and stderr of each block, interleaved as a terminal shows them */
  outputs: string[];
  /** everything, for failure messages */
  all: string;
}

const MARK = '@@dct-guide-block@@';

/**
 * Runs blocks, in order, in one `bash` (errexit and pipefail on: a failing command fails the
 * run) in `cwd` with exactly `env`, in a process group of its own: what the blocks leave
 * running in the background (a server) lives on until `stop` is called with the returned pid.
 */
export function runBlocks(
  blocks: readonly ShellBlock[],
  opts: { cwd: string; env: Record<string, string>; prelude?: string; timeoutMs?: number },
): Promise<BlocksRun & { pid: number }> {
  const script = [
    'exec 2>&1',
    'set -eo pipefail',
    opts.prelude ?? '',
    ...blocks.flatMap((b) => [`echo '${MARK}'`, `# README.md:${b.line}`, b.code]),
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    let all = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (t: string) => void (all += t));
    const timer = setTimeout(() => stopGroup(child.pid), opts.timeoutMs ?? 120_000);
    child.once('error', reject);
    // 'exit', not 'close': a server the blocks started in the background keeps the pipe open
    child.once('exit', (code) => {
      clearTimeout(timer);
      setTimeout(() => {
        child.stdout.destroy();
        const parts = all.split(`${MARK}\n`);
        resolve({ code, outputs: parts.slice(1), all, pid: child.pid as number });
      }, 200);
    });
  });
}

/** Ends the process group a `runBlocks` started (and what it left running); idempotent. */
export function stopGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

/** The names a block `export`s (`export A=… B=…` lines). */
export function exportedNames(code: string): string[] {
  return code
    .split('\n')
    .filter((l) => l.startsWith('export '))
    .flatMap((l) => [...l.replace(/\s+#.*$/, '').matchAll(/(?:^export |\s)([A-Z_][A-Z0-9_]*)=/g)].map((m) => m[1] as string));
}

/** The block with each `export NAME=…` line of `values` given that value instead (the rest kept). */
export function withValues(block: ShellBlock, values: Record<string, string>): ShellBlock {
  const code = block.code
    .split('\n')
    .map((l) => {
      const m = /^export ([A-Z_][A-Z0-9_]*)=\S*(.*)$/.exec(l);
      const value = m ? values[m[1] as string] : undefined;
      return m && value !== undefined ? `export ${m[1]}='${value}'${m[2]}` : l;
    })
    .join('\n');
  return { ...block, code };
}
