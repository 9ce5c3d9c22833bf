/** cosign's sign, verify, verify-attestation commands. */
import type { CommandSpec } from '../../cobra/command.js';

export function cosignImageCommands(): CommandSpec[] {
  return [];
}
