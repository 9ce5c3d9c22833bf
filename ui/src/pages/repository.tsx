/** One repository: tag → digest → signers (with formats), the key/role tree and the version history. */
import type { DashboardSession, RepositoryDetail, RoleNode } from '../../../src/app/dashboard/dashboard-api.js';
import { ApiError } from '../api.js';
import { gunPath } from '../api-paths.js';
import { ErrorBox, Formats, Gun, Health, Time } from '../format.js';
import { shortDigest } from '../short-digest.js';
import { useJson } from '../hooks.js';
import { Link } from '../router.js';
import { BASE } from '../routes.js';

export function RepositoryPage({ gun, session }: { gun: string; session: DashboardSession }) {
  const { data, error, loading } = useJson<RepositoryDetail>(`/ui/api/repositories/${gunPath(gun)}`);
  return (
    <article aria-labelledby="repo-title">
      <p class="crumbs">
        <Link href={`${BASE}repositories`}>Repositories</Link> /
      </p>
      <h1 id="repo-title" class="gun">
        <Gun gun={gun} />
      </h1>
      {error ? (
        error instanceof ApiError && error.status === 404 ? (
          <p role="alert" class="error">
            No trust data for {gun}, or you may not pull it.
          </p>
        ) : (
          <ErrorBox error={error} />
        )
      ) : null}
      {loading && !data ? <p aria-busy="true">Loading…</p> : null}
      {data ? <Detail detail={data} session={session} /> : null}
    </article>
  );
}

function Detail({ detail, session }: { detail: RepositoryDetail; session: DashboardSession }) {
  const s = detail.summary;
  return (
    <>
      <dl class="facts">
        <div>
          <dt>Health</dt>
          <dd>
            <Health health={s.health} reason={s.healthReason} />
          </dd>
        </div>
        <div>
          <dt>Signed tags</dt>
          <dd>{s.tags}</dd>
        </div>
        <div>
          <dt>Last change</dt>
          <dd>
            <Time at={s.updated} />
          </dd>
        </div>
        <div>
          <dt>Earliest expiry</dt>
          <dd>
            <Time at={s.expires} />
          </dd>
        </div>
      </dl>
      <section aria-labelledby="tags-title">
        <h2 id="tags-title">Tags</h2>
        {!session.registry ? <p class="muted">The embedded registry is off: cosign and Notation signatures are not seen.</p> : null}
        {detail.tags.length === 0 ? (
          <p>No signed tags.</p>
        ) : (
          <div class="table-wrap">
            <table data-testid="tags">
              <caption class="visually-hidden">Signed tags, their digests, signers and signature formats</caption>
              <thead>
                <tr>
                  <th scope="col">Tag</th>
                  <th scope="col">Digest</th>
                  <th scope="col">Signers</th>
                  <th scope="col">Formats</th>
                </tr>
              </thead>
              <tbody>
                {detail.tags.map((t) => (
                  <tr key={t.tag} data-testid="tag-row" data-tag={t.tag}>
                    <th scope="row" data-label="Tag">
                      {t.tag}
                    </th>
                    <td data-label="Digest">
                      <code title={t.digest}>{shortDigest(t.digest)}</code>
                    </td>
                    <td data-label="Signers">
                      <ul class="plain">
                        {t.signers.map((sg) => (
                          <li key={sg.role} data-testid="signer">
                            <span class="signer">{sg.name}</span> <span class="muted">({sg.role})</span>
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td data-label="Formats">
                      <Formats formats={t.formats} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section aria-labelledby="roles-title">
        <h2 id="roles-title">Keys and roles</h2>
        <ul class="tree" data-testid="role-tree">
          {detail.roles.map((r) => (
            <RoleItem key={r.role} node={r} level={1} />
          ))}
        </ul>
      </section>
      <section aria-labelledby="history-title">
        <h2 id="history-title">Version history</h2>
        {detail.history.length === 0 ? (
          <p>No changes recorded.</p>
        ) : (
          <ol class="history" data-testid="history">
            {detail.history.map((h) => (
              <li key={h.id} class={h.rotation ? 'rotation' : undefined} data-testid="history-entry">
                <Time at={h.at} /> — {h.category === 'deletion' ? <strong>deleted</strong> : <span>version {h.version}</span>}
                {h.roles?.length ? <span class="muted"> ({h.roles.join(', ')})</span> : null}
                {h.rotation ? (
                  <strong class="tag-rotation" data-testid="rotation">
                    {' '}
                    key rotation: {h.rotation.roles.join(', ')}
                  </strong>
                ) : null}
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

function RoleItem({ node, level }: { node: RoleNode; level: number }) {
  const children = node.children ?? [];
  return (
    <li data-role={node.role} data-level={level}>
      <div class="role">
        <strong>{node.role}</strong>{' '}
        <span>
          v{node.version}, threshold {node.threshold} of {node.keys.length}, expires <Time at={node.expires} />
        </span>
        {node.paths ? (
          <div class="paths">
            paths: {node.paths.length === 0 ? <em>none</em> : node.paths.map((p) => <code key={p}>{p === '' ? '"" (all)' : p}</code>)}
          </div>
        ) : null}
        <ul class="keys" aria-label={`keys of ${node.role}`}>
          {node.keys.map((k) => (
            <li key={k.id}>
              <code title={k.id}>{k.id.slice(0, 12)}…</code> {k.type}
              {k.certificateExpires ? (
                <span>
                  , certificate expires <Time at={k.certificateExpires} />
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      </div>
      {children.length ? (
        <ul>
          {children.map((c) => (
            <RoleItem key={c.role} node={c} level={level + 1} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}
