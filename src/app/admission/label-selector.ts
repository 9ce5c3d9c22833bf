/**
 * Equality-based label selectors as kubectl writes them (`-l`): requirements separated by commas,
 * all of which must hold: `key=value` (or `key==value`), `key!=value`, `key` (present), `!key`
 * (absent). The webhook's exemptions use them on an object's labels.
 */
import { DctError } from '../../core/errors.js';

export type LabelRequirement = { key: string; op: 'equals' | 'notEquals'; value: string } | { key: string; op: 'exists' | 'notExists' };

export interface LabelSelector {
  /** as written */
  text: string;
  requirements: LabelRequirement[];
}

// a qualified name with an optional DNS prefix (k8s.io/name), and label values
const KEY = /^(?:[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

export function parseLabelSelector(text: string): LabelSelector {
  const bad = (why: string): DctError =>
    new DctError(
      'ADMISSION_CONFIG_INVALID',
      `label selector ${JSON.stringify(text)}: ${why} (write key=value, key!=value, key or !key, comma-separated)`,
    );
  if (text.trim() === '') throw bad('it is empty');
  const requirements = text.split(',').map((part): LabelRequirement => {
    const p = part.trim();
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(p);
    if (m) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      if (!KEY.test(key)) throw bad(`${JSON.stringify(key)} is not a label key`);
      if (!VALUE.test(value)) throw bad(`${JSON.stringify(value)} is not a label value`);
      return { key, op: op === '!=' ? 'notEquals' : 'equals', value };
    }
    const negated = p.startsWith('!');
    const key = negated ? p.slice(1).trim() : p;
    if (!KEY.test(key)) throw bad(`${JSON.stringify(key)} is not a label key`);
    return { key, op: negated ? 'notExists' : 'exists' };
  });
  return { text, requirements };
}

export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  return selector.requirements.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case 'equals':
        return has && labels[r.key] === r.value;
      case 'notEquals':
        return !has || labels[r.key] !== r.value;
      case 'exists':
        return has;
      case 'notExists':
        return !has;
    }
  });
}
