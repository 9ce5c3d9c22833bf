/**
 * An image reference found in a Dockerfile or a YAML file (pin-files.ts), with where it is
 * and, when it is left as it is, why.
 */
/** Why a reference is reported and left as it is. */
export type SkipReason = 'scratch' | 'stage' | 'variable' | 'template' | 'continuation' | 'escaped' | 'yaml-syntax' | 'compose-build';

export const SKIP_TEXT: Record<SkipReason, string> = {
  scratch: 'scratch is not an image',
  stage: 'names an earlier build stage',
  variable: 'contains a variable ($)',
  template: 'is a template expression',
  continuation: 'is split across a line continuation',
  escaped: 'uses YAML escapes',
  'yaml-syntax': 'is a YAML anchor, alias, tag or flow value',
  'compose-build': 'is the name compose gives the image it builds (the service has build:)',
};

export interface FoundReference {
  /** offsets in the text (one char per byte when read as latin1) of the reference without quotes */
  start: number;
  end: number;
  /** 1-based line and column of `start` */
  line: number;
  column: number;
  /** the reference as written */
  text: string;
  /** `from` for a Dockerfile FROM, `copy-from` / `mount-from` for COPY --from= / RUN --mount=from=, `image` for a YAML image key */
  kind: 'from' | 'copy-from' | 'mount-from' | 'image';
  /** set when the reference is reported but not rewritten */
  skip?: SkipReason;
}
