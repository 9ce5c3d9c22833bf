/** cosign's generate-key-pair, import-key-pair, public-key commands. */
import type { CommandSpec } from '../../cobra/command.js';

export function cosignKeyCommands(): CommandSpec[] {
  return [];
}
