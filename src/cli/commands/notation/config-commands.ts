/** notation's key, cert and policy commands. */
import type { CommandSpec } from '../../cobra/command.js';

export function notationConfigCommands(): CommandSpec[] {
  return [];
}
