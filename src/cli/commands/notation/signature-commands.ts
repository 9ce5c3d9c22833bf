/** notation's sign, verify, list and inspect commands. */
import type { CommandSpec } from '../../cobra/command.js';

export function notationSignatureCommands(): CommandSpec[] {
  return [];
}
