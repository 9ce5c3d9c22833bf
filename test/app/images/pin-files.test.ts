/**
 * Finding and rewriting image references in Dockerfiles, Kubernetes YAML and
 * compose files: the shapes each format allows, what is skipped and why, and
 * byte-for-byte preservation of everything else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyReplacements,
  detectKind,
  findReferences,
  pinnedForm,
  splitWritten,
  type PinFileKind,
} from '../../../src/app/images/pin-files.js';
import type { FoundReference } from '../../../src/app/images/found-reference.js';
import { expandArgs, parseDockerfile } from '../../../src/app/images/dockerfile-references.js';
import { findYamlReferences } from '../../../src/app/images/yaml-image-references.js';

const H = 'ab'.repeat(32);
const H2 = 'cd'.repeat(32);

/** pins every reference that is not skipped to H, as dct pin writes it */
function pinAll(kind: PinFileKind, text: string): string {
  const refs = findReferences(kind, text).filter((r) => !r.skip && !r.text.includes('@'));
  return applyReplacements(
    text,
    refs.map((r) => ({ start: r.start, end: r.end, text: pinnedForm(r.text, H) })),
  );
}
const summary = (refs: FoundReference[]) => refs.map((r) => [r.line, r.column, r.text, r.skip ?? null]);

describe('Dockerfile', () => {
  it('COPY --from=IMAGE and RUN --mount=…,from=IMAGE are references (kind copy-from / mount-from); stages and indexes are not', () => {
    const text = [
      'FROM alpine:3.20 AS build',
      'COPY --from=build /a /b',
      'COPY --chown=1:1 --from=nginx:1.27 /etc/nginx /x',
      'copy --FROM=0 /a /b',
      'RUN --mount=type=cache,target=/c --mount=type=bind,from=busybox:1.36,source=/bin,target=/b true',
      'RUN --mount=type=bind,from=build,target=/m true',
      'COPY --from=${IMG} /a /b',
      'ADD --chown=1 https://example.com/x /x',
      'RUN echo --from=not-a-flag',
      '',
    ].join('\n');
    const refs = findReferences('dockerfile', text);
    assert.deepEqual(
      refs.map((r) => [r.kind, r.line, r.column, r.text, r.skip ?? null]),
      [
        ['from', 1, 6, 'alpine:3.20', null],
        ['copy-from', 3, 25, 'nginx:1.27', null],
        ['mount-from', 5, 57, 'busybox:1.36', null],
        ['copy-from', 7, 13, '${IMG}', 'variable'],
      ],
    );
    assert.equal(
      pinAll('dockerfile', text).split('\n')[4],
      `RUN --mount=type=cache,target=/c --mount=type=bind,from=busybox:1.36@sha256:${H},source=/bin,target=/b true`,
    );
  });

  it('FROM in any case, with flags, AS, continuation lines, comments inside them; stage names, scratch and variables skipped', () => {
    const text = [
      '# syntax=docker/dockerfile:1',
      'ARG BASE=debian:12',
      'FROM --platform=$BUILDPLATFORM golang:1.22-alpine AS build',
      'RUN go build ./...',
      '',
      'from  node:20\tas   web',
      'FROM build AS test',
      'FROM Build',
      'FROM scratch',
      'FROM ${BASE}',
      'FROM \\',
      '  # a comment inside the continuation',
      '',
      '    registry.example.com:5000/team/app:v1 \\',
      '    AS final',
      '   FROM alpine',
      'COPY --from=build /out /out',
      '',
    ].join('\n');
    assert.deepEqual(summary(findReferences('dockerfile', text)), [
      [3, 32, 'golang:1.22-alpine', null],
      [6, 7, 'node:20', null],
      [7, 6, 'build', 'stage'],
      [8, 6, 'Build', 'stage'],
      [9, 6, 'scratch', 'scratch'],
      [10, 6, '${BASE}', 'variable'],
      [14, 5, 'registry.example.com:5000/team/app:v1', null],
      [16, 9, 'alpine', null],
    ]);
    const pinned = pinAll('dockerfile', text);
    assert.equal(
      pinned,
      text
        .replace('golang:1.22-alpine AS', `golang:1.22-alpine@sha256:${H} AS`)
        .replace('node:20\t', `node:20@sha256:${H}\t`)
        .replace('team/app:v1 ', `team/app:v1@sha256:${H} `)
        .replace('   FROM alpine\n', `   FROM alpine:latest@sha256:${H}\n`),
    );
  });

  it('a stage name is only a stage after its FROM … AS; before it, the same word is an image', () => {
    const refs = findReferences('dockerfile', 'FROM base\nFROM alpine AS base\nFROM base\n');
    assert.deepEqual(summary(refs), [
      [1, 6, 'base', null],
      [2, 6, 'alpine', null],
      [3, 6, 'base', 'stage'],
    ]);
  });

  it('CRLF line ends, a BOM, tabs and trailing spaces survive byte for byte', () => {
    const text = '\u00ef\u00bb\u00bf# comment\r\nFROM\talpine:3.19  \r\nRUN echo \u00e9\u00e8\r\n';
    const pinned = pinAll('dockerfile', text);
    assert.equal(pinned, `\u00ef\u00bb\u00bf# comment\r\nFROM\talpine:3.19@sha256:${H}  \r\nRUN echo \u00e9\u00e8\r\n`);
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('FROM x:1\n'), 0xff, 0xfe, 0x0a]);
    const out = Buffer.from(pinAll('dockerfile', bytes.toString('latin1')), 'latin1');
    assert.deepEqual(
      out,
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`FROM x:1@sha256:${H}\n`), Buffer.from([0xff, 0xfe, 0x0a])]),
    );
  });

  it('heredoc bodies are not instructions; the escape directive changes the continuation character', () => {
    const heredoc = 'FROM alpine:3\nRUN <<EOF\nFROM inside:heredoc\nEOF\nCOPY <<-"X" /a\n\tFROM also:inside\n\tX\nFROM busybox:1\n';
    assert.deepEqual(
      summary(findReferences('dockerfile', heredoc)).map((r) => r[2]),
      ['alpine:3', 'busybox:1'],
    );
    const backtick = '# escape=`\nFROM `\n  mcr.microsoft.com/windows/servercore:ltsc2022\nRUN dir c:\\\nFROM nano:1\n';
    assert.deepEqual(summary(findReferences('dockerfile', backtick)), [
      [3, 3, 'mcr.microsoft.com/windows/servercore:ltsc2022', null],
      [5, 6, 'nano:1', null],
    ]);
  });

  it('a reference split by a line continuation is reported, not rewritten', () => {
    const refs = findReferences('dockerfile', 'FROM alp\\\nine:3\n');
    assert.equal(refs[0]?.skip, 'continuation');
    assert.equal(refs[0]?.text, 'alpine:3');
  });

  it('global ARGs (before the first FROM) and their defaults; later ARGs are not global', () => {
    const p = parseDockerfile('ARG A=1 B="two words" C\nFROM x:${A}\nARG D=4\n');
    assert.deepEqual(p.globalArgs, [{ name: 'A', value: '1' }, { name: 'B', value: 'two words' }, { name: 'C' }]);
    assert.deepEqual(p.stages, []);
  });
});

describe('expandArgs (FROM variables)', () => {
  const vars = new Map<string, string | undefined>([
    ['BASE', 'alpine'],
    ['TAG', '3.19'],
    ['EMPTY', ''],
    ['UNSET', undefined],
  ]);
  it('$VAR, ${VAR}, ${VAR:-default}, ${VAR:+alt}, escapes; unset is empty', () => {
    assert.equal(expandArgs('$BASE:${TAG}', vars), 'alpine:3.19');
    assert.equal(expandArgs('${UNSET:-debian}:${EMPTY:-12}', vars), 'debian:12');
    assert.equal(expandArgs('x${TAG:+-slim}', vars), 'x-slim');
    assert.equal(expandArgs('x${UNSET:+-slim}', vars), 'x');
    assert.equal(expandArgs('a$UNSET', vars), 'a');
    assert.equal(expandArgs('a\\$TAG', vars), 'a$TAG');
    assert.equal(expandArgs('a`$TAG', vars, '`'), 'a$TAG');
  });
  it('BuildKit platform ARGs and unknown forms cannot be resolved before the build', () => {
    assert.equal(expandArgs('${TARGETARCH}/alpine', vars), undefined);
    assert.equal(expandArgs('$BUILDPLATFORM', vars), undefined);
    assert.equal(expandArgs('${TAG#3}', vars), undefined);
    assert.equal(expandArgs('${TAG', vars), undefined);
    assert.equal(expandArgs('${TARGETARCH}', new Map([['TARGETARCH', 'arm64']])), 'arm64');
  });
});

describe('YAML (Kubernetes, compose)', () => {
  it('image keys at any indentation, list items, quotes, comments, several documents; block scalars skipped', () => {
    const text = [
      '# a pod',
      'apiVersion: v1',
      'kind: Pod',
      'spec:',
      '  containers:',
      '  - name: web',
      '    image: nginx:1.25   # the web server',
      '  - image: "redis:7"',
      '    name: cache',
      '  initContainers:',
      '    -   name: init',
      "        image: 'busybox'",
      '        args:',
      '          - |',
      '            image: not-an-image-key',
      '        command: >-',
      '          image: neither',
      '---',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - image: ghcr.io/org/app@sha256:' + H2,
      '          name: app',
      '        - "image": quay.io/x/y:2',
      '...',
      '',
    ].join('\n');
    assert.deepEqual(summary(findYamlReferences(text)), [
      [7, 12, 'nginx:1.25', null],
      [8, 13, 'redis:7', null],
      [12, 17, 'busybox', null],
      [25, 18, `ghcr.io/org/app@sha256:${H2}`, null],
      [27, 20, 'quay.io/x/y:2', null],
    ]);
    const pinned = pinAll('yaml', text);
    assert.equal(
      pinned,
      text
        .replace('nginx:1.25   #', `nginx:1.25@sha256:${H}   #`)
        .replace('"redis:7"', `"redis:7@sha256:${H}"`)
        .replace("'busybox'", `'busybox:latest@sha256:${H}'`)
        .replace('quay.io/x/y:2', `quay.io/x/y:2@sha256:${H}`),
    );
  });

  it('compose: image next to build is what compose builds; variables and templates are reported', () => {
    const text = [
      'services:',
      '  web:',
      '    image: example/web:dev',
      '    build:',
      '      context: .',
      '  db:',
      '    image: postgres:${PG_VERSION:-16}',
      '  cache:',
      '    # comment between keys',
      '    image: redis:7-alpine',
      '    environment:',
      '      image: not-a-sibling-of-build',
      '  tool:',
      '    build: ./tool',
      '    profiles: [x]',
      '  other:',
      '    image: alpine:3.19',
      'x-helm: |',
      '  image: {{ .Values.image }}',
      'helm:',
      '  image: {{ .Values.image }}',
      '  quoted: "{{ x }}"',
      '  chart:',
      '    image: "{{ .Values.repo }}:{{ .Values.tag }}"',
      '    values:',
      '      image:',
      '        repository: nginx',
      '',
    ].join('\r\n');
    assert.deepEqual(summary(findYamlReferences(text)), [
      [3, 12, 'example/web:dev', 'compose-build'],
      [7, 12, 'postgres:${PG_VERSION:-16}', 'variable'],
      [10, 12, 'redis:7-alpine', null],
      [12, 14, 'not-a-sibling-of-build', null],
      [17, 12, 'alpine:3.19', null],
      [21, 10, '{{ .Values.image }}', 'template'],
      [24, 13, '{{ .Values.repo }}:{{ .Values.tag }}', 'template'],
    ]);
    assert.equal(pinAll('yaml', text).split('\r\n').length, text.split('\r\n').length);
    assert.ok(pinAll('yaml', text).includes(`    image: redis:7-alpine@sha256:${H}\r\n`));
  });

  it('list items: build in a sibling item does not count; the item mapping ends at the next dash', () => {
    const text = 'items:\n- build: x\n- image: a:1\n  name: n\n- name: m\n  image: b:2\n  build: y\n';
    assert.deepEqual(summary(findYamlReferences(text)), [
      [3, 10, 'a:1', null],
      [6, 10, 'b:2', 'compose-build'],
    ]);
  });

  it('escapes, anchors, aliases and flow values are reported; empty values and other keys ignored', () => {
    const text =
      "a:\n  image: \"x\\u0041:1\"\n  image: &anchor alpine:1\n  image: *anchor\n  image: [x]\n  images: nope\n  my-image: nope\n  image:\n  image:   # nothing\n  image: 'it''s'\n";
    assert.deepEqual(
      summary(findYamlReferences(text)).map((r) => r[3]),
      ['escaped', 'yaml-syntax', 'yaml-syntax', 'yaml-syntax', 'escaped'],
    );
  });
});

describe('helpers', () => {
  it('detectKind by name, else by the first instruction', () => {
    assert.equal(detectKind('Dockerfile', ''), 'dockerfile');
    assert.equal(detectKind('build/Dockerfile.prod', ''), 'dockerfile');
    assert.equal(detectKind('x/api.dockerfile', ''), 'dockerfile');
    assert.equal(detectKind('Containerfile', ''), 'dockerfile');
    assert.equal(detectKind('deploy.yaml', 'FROM x'), 'yaml');
    assert.equal(detectKind('dockerfile.yml', ''), 'yaml');
    assert.equal(detectKind('docker-compose.yml', ''), 'yaml');
    assert.equal(detectKind('compose.yml', ''), 'yaml');
    assert.equal(detectKind('base', '# c\n\nARG X\nFROM x\n'), 'dockerfile');
    assert.equal(detectKind('base', 'kind: Pod\n'), 'yaml');
  });

  it('splitWritten and pinnedForm keep the name as written', () => {
    assert.deepEqual(splitWritten('localhost:5000/a/b:1@sha256:x'), { name: 'localhost:5000/a/b', tag: '1', digest: 'sha256:x' });
    assert.deepEqual(splitWritten('localhost:5000/a/b'), { name: 'localhost:5000/a/b' });
    assert.equal(pinnedForm('docker.io/library/alpine:3.19', H), `docker.io/library/alpine:3.19@sha256:${H}`);
    assert.equal(pinnedForm('alpine', H), `alpine:latest@sha256:${H}`);
    assert.equal(pinnedForm(`alpine:3@sha256:${H2}`, H), `alpine:3@sha256:${H}`);
  });

  it('applyReplacements refuses overlaps', () => {
    assert.equal(
      applyReplacements('abcdef', [
        { start: 4, end: 5, text: 'E' },
        { start: 0, end: 1, text: 'A' },
      ]),
      'AbcdEf',
    );
    assert.throws(() =>
      applyReplacements('abcdef', [
        { start: 0, end: 3, text: '' },
        { start: 2, end: 4, text: '' },
      ]),
    );
  });
});
