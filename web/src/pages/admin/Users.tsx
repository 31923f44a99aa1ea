// The organization's users (org_admin): the list, page by page with the API's cursor; adding a
// user, whose one-time password is shown once; and per user the profile, role and rights, and the
// account actions (disable or enable, password reset, 2FA reset, ending sessions, deletion) — the
// destructive ones after a confirmation.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type User } from '../../api';
import { ErrorNotice, OkNotice, SecretBox, useAction } from '../../components';
import { useI18n, type MessageKey } from '../../i18n';
import { useSession } from '../../session';
import {
  Field,
  Modal,
  NEW_USER_RIGHTS,
  RightsFields,
  draftOf,
  explained,
  rightsOf,
  type RightsDraft,
} from './shared';

const PAGE_SIZE = 50;

interface UserPage {
  users: User[];
  next_cursor: string | null;
}

type Role = User['role'];
const ROLES: Role[] = ['member', 'org_admin'];

function byLogin(a: User, b: User): number {
  return a.login < b.login ? -1 : a.login > b.login ? 1 : 0;
}

export function AdminUsers() {
  const { t } = useI18n();
  const { user: me } = useSession();
  const [users, setUsers] = useState<User[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [adding, setAdding] = useState(false);
  const [managing, setManaging] = useState<User | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useAction(async (after: string | null) => {
    const query = `?limit=${PAGE_SIZE}` + (after ? '&cursor=' + encodeURIComponent(after) : '');
    const page = await api.get<UserPage>('/admin/users' + query);
    setUsers((prev) => {
      // A user added in this tab may already be listed: keep one row per id.
      const base = after ? prev : [];
      const seen = new Set(base.map((u) => u.id));
      return [...base, ...page.users.filter((u) => !seen.has(u.id))];
    });
    setCursor(page.next_cursor);
    setLoaded(true);
  });

  useEffect(() => {
    load.run(null);
  }, []);

  const replace = (u: User) => {
    setUsers((list) => list.map((x) => (x.id === u.id ? u : x)));
    setManaging(u);
  };

  return (
    <section class="page admin-page">
      <div class="page-head">
        <div>
          <h1>{t('admin.users.title')}</h1>
          <p class="lead">{t('admin.users.lead')}</p>
        </div>
        <button
          type="button"
          onClick={() => {
            setNotice(null);
            setAdding(true);
          }}
        >
          {t('admin.users.add')}
        </button>
      </div>

      {notice && <OkNotice>{notice}</OkNotice>}
      <ErrorNotice error={load.error} />

      {!loaded && !load.error && <p class="loading">{t('common.loading')}</p>}
      {loaded && users.length === 0 && <p class="empty-state">{t('admin.users.empty')}</p>}
      {users.length > 0 && (
        <div class="table-wrap">
          <table class="admin-table" data-testid="users-table">
            <thead>
              <tr>
                <th scope="col">{t('admin.users.col.name')}</th>
                <th scope="col">{t('admin.users.col.email')}</th>
                <th scope="col">{t('admin.users.col.role')}</th>
                <th scope="col">{t('admin.users.col.totp')}</th>
                <th scope="col">{t('admin.users.col.status')}</th>
                <th scope="col">{t('admin.users.col.password')}</th>
                <th scope="col" class="col-actions">
                  <span class="visually-hidden">{t('admin.users.col.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id} class={u.disabled ? 'muted' : undefined}>
                  <td class="cell-strong">
                    {u.display_name}
                    {me?.id === u.id && <span class="badge self-badge">{t('admin.users.you')}</span>}
                  </td>
                  <td class="mono-soft">{u.login}</td>
                  <td>
                    <span class={u.role === 'org_admin' ? 'badge accent' : 'badge'}>
                      {t(`admin.role.${u.role}` as MessageKey)}
                    </span>
                  </td>
                  <td>
                    <span class={u.totp_enabled ? 'badge ok' : 'badge'}>
                      {u.totp_enabled ? t('admin.users.totp.on') : t('admin.users.totp.off')}
                    </span>
                  </td>
                  <td>
                    <span class={u.disabled ? 'badge danger' : 'badge ok'}>
                      {u.disabled ? t('admin.users.status.disabled') : t('admin.users.status.active')}
                    </span>
                  </td>
                  <td>
                    {u.password_change_required ? (
                      <span class="badge warn">{t('admin.users.password.must_change')}</span>
                    ) : (
                      <span class="text-soft">{t('admin.users.password.ok')}</span>
                    )}
                  </td>
                  <td class="col-actions">
                    <button
                      type="button"
                      class="secondary small"
                      aria-label={t('admin.users.manage_label', { name: u.login })}
                      onClick={() => {
                        setNotice(null);
                        setManaging(u);
                      }}
                    >
                      {t('admin.users.manage')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {loaded && (
        <div class="list-foot">
          <span class="text-soft">{t('admin.users.count', { n: users.length })}</span>
          {cursor && (
            <button type="button" class="secondary" disabled={load.busy} onClick={() => load.run(cursor)}>
              {t('common.more')}
            </button>
          )}
        </div>
      )}

      <AddUserDialog
        open={adding}
        onClose={() => setAdding(false)}
        onCreated={(u) => setUsers((list) => [...list.filter((x) => x.id !== u.id), u].sort(byLogin))}
      />
      <ManageUserDialog
        user={managing}
        onClose={() => setManaging(null)}
        onChanged={replace}
        onDeleted={(u) => {
          setUsers((list) => list.filter((x) => x.id !== u.id));
          setManaging(null);
          setNotice(t('admin.users.done.delete', { login: u.login }));
        }}
      />
    </section>
  );
}

function RoleSelect({ value, onChange }: { value: Role; onChange: (r: Role) => void }) {
  const { t } = useI18n();
  return (
    <Field label={t('admin.users.field.role')}>
      {(props) => (
        <select {...props} value={value} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {t(`admin.role.${r}` as MessageKey)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

// The one-time password, once, with how to hand it over.
function OneTimePassword({ value }: { value: string }) {
  const { t } = useI18n();
  return (
    <div class="stack otp-block">
      <SecretBox value={value} testId="one-time-password" />
      <p class="notice warn">{t('admin.users.otp.instruction')}</p>
    </div>
  );
}

function AddUserDialog({
  open,
  onClose,
  onCreated,
}: {
  open: boolean;
  onClose: () => void;
  onCreated: (u: User) => void;
}) {
  const { t } = useI18n();
  return (
    <Modal open={open} title={t('admin.users.add.title')} onClose={onClose} testId="add-user-dialog">
      <AddUserForm onClose={onClose} onCreated={onCreated} />
    </Modal>
  );
}

function AddUserForm({ onClose, onCreated }: { onClose: () => void; onCreated: (u: User) => void }) {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [rights, setRights] = useState<RightsDraft>(NEW_USER_RIGHTS);
  const [created, setCreated] = useState<{ user: User; password: string } | null>(null);
  const create = useAction(async () => {
    const r = rightsOf(t, rights);
    if (r.error !== undefined) throw explained(null, r.error);
    const body: Record<string, unknown> = { email: email.trim(), role, rights: r.rights };
    if (displayName.trim()) body.display_name = displayName.trim();
    try {
      const answer = await api.post<{ user: User; one_time_password: string }>('/admin/users', body);
      setCreated({ user: answer.user, password: answer.one_time_password });
      onCreated(answer.user);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'conflict') throw explained(err, t('admin.users.add.exists'));
      throw err;
    }
  });

  if (created) {
    return (
      <div class="stack">
        <OkNotice>{t('admin.users.created.body', { login: created.user.login })}</OkNotice>
        <OneTimePassword value={created.password} />
        <div class="actions dialog-actions">
          <button type="button" onClick={onClose}>
            {t('admin.users.otp.done')}
          </button>
        </div>
      </div>
    );
  }

  return (
    <form
      class="stack"
      onSubmit={(e) => {
        e.preventDefault();
        create.run();
      }}
    >
      <p class="lead">{t('admin.users.add.lead')}</p>
      <Field label={t('admin.users.field.email')}>
        {(props) => (
          <input
            {...props}
            type="email"
            required
            autoComplete="off"
            value={email}
            onInput={(e) => setEmail((e.currentTarget as HTMLInputElement).value)}
          />
        )}
      </Field>
      <div class="field-row">
        <Field label={t('admin.users.field.display_name')} hint={t('admin.users.field.display_name_hint')}>
          {(props) => (
            <input
              {...props}
              type="text"
              autoComplete="off"
              value={displayName}
              onInput={(e) => setDisplayName((e.currentTarget as HTMLInputElement).value)}
            />
          )}
        </Field>
        <RoleSelect value={role} onChange={setRole} />
      </div>
      <RightsFields draft={rights} onChange={setRights} />
      <ErrorNotice error={create.error} />
      <div class="actions dialog-actions">
        <button type="button" class="secondary" onClick={onClose}>
          {t('common.cancel')}
        </button>
        <button type="submit" disabled={create.busy}>
          {create.busy ? t('admin.working') : t('admin.users.add.submit')}
        </button>
      </div>
    </form>
  );
}

type AccountAction = 'disable' | 'enable' | 'reset_password' | 'reset_totp' | 'end_sessions' | 'delete';

// What each action sends (PATCH body; delete is a DELETE).
const ACTION_BODY: Record<Exclude<AccountAction, 'delete'>, Record<string, boolean>> = {
  disable: { disabled: true },
  enable: { disabled: false },
  reset_password: { reset_password: true },
  reset_totp: { reset_totp: true },
  end_sessions: { end_sessions: true },
};

function ManageUserDialog({
  user,
  onClose,
  onChanged,
  onDeleted,
}: {
  user: User | null;
  onClose: () => void;
  onChanged: (u: User) => void;
  onDeleted: (u: User) => void;
}) {
  const { t } = useI18n();
  return (
    <Modal
      open={user !== null}
      title={user ? t('admin.users.edit.title', { name: user.display_name }) : ''}
      onClose={onClose}
      testId="manage-user-dialog"
    >
      {/* Keyed by id: another user starts with a fresh form; this user's updates keep it. */}
      {user && <ManageUser key={user.id} user={user} onClose={onClose} onChanged={onChanged} onDeleted={onDeleted} />}
    </Modal>
  );
}

function ManageUser({
  user,
  onClose,
  onChanged,
  onDeleted,
}: {
  user: User;
  onClose: () => void;
  onChanged: (u: User) => void;
  onDeleted: (u: User) => void;
}) {
  const { t } = useI18n();
  const initial = draftOf(user.rights);
  const [displayName, setDisplayName] = useState(user.display_name);
  const [role, setRole] = useState<Role>(user.role);
  const [rights, setRights] = useState<RightsDraft>(initial);
  const [baseline, setBaseline] = useState<RightsDraft>(initial);
  const [saved, setSaved] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<AccountAction | null>(null);
  const [done, setDone] = useState<{ action: AccountAction; password?: string } | null>(null);

  const lastAdmin = (err: unknown) =>
    err instanceof ApiError && err.code === 'conflict' ? explained(err, t('admin.users.last_admin')) : err;

  const save = useAction(async () => {
    const body: Record<string, unknown> = {};
    if (displayName.trim() !== user.display_name) body.display_name = displayName.trim();
    if (role !== user.role) body.role = role;
    const r = rightsOf(t, rights, baseline);
    if (r.error !== undefined) throw explained(null, r.error);
    const changed = Object.entries(r.rights).filter(
      ([k, v]) => (user.rights as unknown as Record<string, unknown>)[k] !== v,
    );
    if (changed.length) body.rights = Object.fromEntries(changed);
    if (Object.keys(body).length === 0) {
      setSaved(t('admin.users.edit.nothing'));
      return;
    }
    try {
      const answer = await api.patch<{ user: User }>('/admin/users/' + encodeURIComponent(user.id), body);
      const next = draftOf(answer.user.rights);
      setRights(next);
      setBaseline(next);
      setDisplayName(answer.user.display_name);
      setRole(answer.user.role);
      setSaved(t('admin.users.edit.saved'));
      onChanged(answer.user);
    } catch (err) {
      throw lastAdmin(err);
    }
  });

  const act = useAction(async (action: AccountAction) => {
    try {
      if (action === 'delete') {
        await api.del('/admin/users/' + encodeURIComponent(user.id));
        onDeleted(user);
        return;
      }
      const answer = await api.patch<{ user: User; one_time_password?: string }>(
        '/admin/users/' + encodeURIComponent(user.id),
        ACTION_BODY[action],
      );
      setConfirming(null);
      setDone({ action, password: answer.one_time_password });
      onChanged(answer.user);
    } catch (err) {
      throw lastAdmin(err);
    }
  });

  const names = { name: user.display_name, login: user.login };

  if (confirming) {
    return (
      <div class="stack" data-testid="confirm-action">
        <p class="confirm-text">{t(`admin.users.confirm.${confirming}` as MessageKey, names)}</p>
        <ErrorNotice error={act.error} />
        <div class="actions dialog-actions">
          <button
            type="button"
            class="secondary"
            onClick={() => {
              act.setError(null);
              setConfirming(null);
            }}
          >
            {t('common.cancel')}
          </button>
          <button type="button" class="danger-solid" disabled={act.busy} onClick={() => act.run(confirming)}>
            {act.busy ? t('admin.working') : t(`admin.users.action.${confirming}` as MessageKey)}
          </button>
        </div>
      </div>
    );
  }

  if (done) {
    return (
      <div class="stack">
        <OkNotice>{t(`admin.users.done.${done.action}` as MessageKey, names)}</OkNotice>
        {done.password && <OneTimePassword value={done.password} />}
        <div class="actions dialog-actions">
          <button type="button" class="secondary" onClick={() => setDone(null)}>
            {t('admin.users.back')}
          </button>
          <button type="button" onClick={onClose}>
            {t('common.close')}
          </button>
        </div>
      </div>
    );
  }

  const actions: AccountAction[] = [
    user.disabled ? 'enable' : 'disable',
    'reset_password',
    'reset_totp',
    'end_sessions',
    'delete',
  ];

  return (
    <div class="stack">
      <p class="dialog-sub mono-soft">{user.login}</p>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          setSaved(null);
          save.run();
        }}
      >
        <h3 class="section-title">{t('admin.users.edit.profile')}</h3>
        <div class="field-row">
          <Field label={t('admin.users.field.display_name')}>
            {(props) => (
              <input
                {...props}
                type="text"
                required
                value={displayName}
                onInput={(e) => setDisplayName((e.currentTarget as HTMLInputElement).value)}
              />
            )}
          </Field>
          <RoleSelect value={role} onChange={setRole} />
        </div>
        <RightsFields draft={rights} onChange={setRights} />
        <ErrorNotice error={save.error} />
        {saved && !save.error && <OkNotice>{saved}</OkNotice>}
        <div class="actions">
          <button type="submit" disabled={save.busy}>
            {save.busy ? t('admin.working') : t('admin.users.edit.save')}
          </button>
        </div>
      </form>

      <h3 class="section-title">{t('admin.users.account_actions')}</h3>
      <ErrorNotice error={act.error} />
      <ul class="account-actions">
        {actions.map((a) => (
          <li key={a}>
            <div>
              <span class="action-hint">{t(`admin.users.action.${a}.hint` as MessageKey)}</span>
            </div>
            <button
              type="button"
              class={a === 'enable' ? 'secondary small' : 'danger small'}
              disabled={act.busy}
              onClick={() => {
                act.setError(null);
                if (a === 'enable') act.run(a);
                else setConfirming(a);
              }}
            >
              {t(`admin.users.action.${a}` as MessageKey)}
            </button>
          </li>
        ))}
      </ul>
      <div class="actions dialog-actions">
        <button type="button" class="secondary" onClick={onClose}>
          {t('common.close')}
        </button>
      </div>
    </div>
  );
}
