/** cosign's sign-blob, verify-blob commands. */
import type { CommandSpec } from '../../cobra/command.js';

export function cosignBlobCommands(): CommandSpec[] {
  return [];
}
