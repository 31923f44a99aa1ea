// API tokens of the signed-in user: the list (never the values), a form that creates one and
// shows its value once, and revocation after a confirmation.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from '../../api';
import { ErrorNotice, OkNotice, SecretBox, useAction } from '../../components';
import { useI18n } from '../../i18n';
import { ConfirmDialog, FormProblem } from './Notice';

export interface ApiToken {
  id: string;
  name: string;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

type TokenState = 'active' | 'expired' | 'revoked';

function stateOf(token: ApiToken, now: number): TokenState {
  if (token.revoked_at) return 'revoked';
  return Date.parse(token.expires_at) <= now ? 'expired' : 'active';
}

export function Tokens() {
  const { t, formatDate } = useI18n();
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [name, setName] = useState('');
  const [days, setDays] = useState('30');
  const [problem, setProblem] = useState<string | null>(null);
  const [created, setCreated] = useState<{ name: string; value: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const [revoked, setRevoked] = useState<string | null>(null);

  const load = useAction(
    useCallback(async () => {
      const answer = await api.get<{ tokens: ApiToken[] }>('/me/tokens');
      setTokens(answer.tokens);
    }, []),
  );
  useEffect(() => {
    load.run();
  }, []);

  const create = useAction(async (tokenName: string, expiresInDays: number) => {
    const answer = await api.post<{ token: ApiToken; value: string }>('/me/tokens', {
      name: tokenName,
      expires_in_days: expiresInDays,
    });
    setCreated({ name: answer.token.name, value: answer.value });
    setName('');
    await load.run();
  });

  const revoke = useAction(async (token: ApiToken) => {
    await api.del(`/me/tokens/${encodeURIComponent(token.id)}`);
    setRevoking(null);
    setRevoked(token.name);
    await load.run();
  });

  const submit = async (e: Event) => {
    e.preventDefault();
    setProblem(null);
    setCreated(null);
    setRevoked(null);
    const n = Number(days);
    if (!Number.isInteger(n) || n < 1 || n > 365) {
      setProblem(t('account.token_days_invalid'));
      return;
    }
    await create.run(name.trim(), n);
  };

  const now = Date.now();
  return (
    <section class="page" aria-labelledby="tokens-title">
      <h2 id="tokens-title" class="section-title">
        {t('account.tokens')}
      </h2>
      <p class="section-lead">{t('account.tokens_lead')}</p>

      <form class="token-form" onSubmit={submit}>
        <div class="field token-name">
          <label for="token-name">{t('account.token_name')}</label>
          <input
            id="token-name"
            type="text"
            maxLength={200}
            required
            aria-describedby="token-name-hint"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <span class="hint" id="token-name-hint">
            {t('account.token_name_hint')}
          </span>
        </div>
        <div class="field token-days">
          <label for="token-days">{t('account.token_days')}</label>
          <input
            id="token-days"
            type="number"
            min={1}
            max={365}
            step={1}
            required
            aria-describedby="token-days-hint"
            value={days}
            onInput={(e) => setDays(e.currentTarget.value)}
          />
          <span class="hint" id="token-days-hint">
            {t('account.token_days_hint')}
          </span>
        </div>
        <div class="token-submit">
          <button type="submit" disabled={create.busy || name.trim() === ''}>
            {t('account.token_create')}
          </button>
        </div>
      </form>

      <div class="stack token-messages">
        <FormProblem text={problem} />
        <ErrorNotice error={create.error} />
        {created && (
          <div class="notice warn new-token">
            <p class="new-token-text">{t('account.token_created', { name: created.name })}</p>
            <SecretBox value={created.value} testId="new-token" />
          </div>
        )}
        {revoked && <OkNotice>{t('account.revoked', { name: revoked })}</OkNotice>}
        <ErrorNotice error={load.error} />
      </div>

      {tokens && tokens.length === 0 && <p class="empty">{t('account.tokens_none')}</p>}
      {tokens && tokens.length > 0 && (
        <div class="table-wrap">
          <table class="tokens-table">
            <thead>
              <tr>
                <th scope="col">{t('account.col.name')}</th>
                <th scope="col">{t('account.col.created')}</th>
                <th scope="col">{t('account.col.expires')}</th>
                <th scope="col">{t('account.col.last_used')}</th>
                <th scope="col">{t('account.col.status')}</th>
                <th scope="col">
                  <span class="visually-hidden">{t('account.col.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((token) => {
                const state = stateOf(token, now);
                return (
                  <tr key={token.id} class={state === 'active' ? undefined : 'muted'} data-testid="token-row">
                    <td class="token-cell-name">{token.name}</td>
                    <td>{formatDate(token.created_at)}</td>
                    <td>{formatDate(token.expires_at)}</td>
                    <td>{token.last_used_at ? formatDate(token.last_used_at) : t('account.never')}</td>
                    <td>
                      <span
                        class={'badge' + (state === 'active' ? ' ok' : state === 'revoked' ? ' danger' : '')}
                        title={token.revoked_at ? formatDate(token.revoked_at) : undefined}
                      >
                        {t(`account.status.${state}`)}
                      </span>
                    </td>
                    <td class="cell-actions">
                      {state === 'active' && (
                        <button
                          type="button"
                          class="danger small"
                          aria-label={`${t('account.revoke')}: ${token.name}`}
                          onClick={() => {
                            revoke.setError(null);
                            setRevoking(token);
                          }}
                        >
                          {t('account.revoke')}
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      <ConfirmDialog
        open={revoking !== null}
        title={t('account.revoke_title', { name: revoking?.name ?? '' })}
        confirmLabel={t('account.revoke')}
        busy={revoke.busy}
        onConfirm={() => revoking && revoke.run(revoking)}
        onCancel={() => setRevoking(null)}
      >
        <p>{t('account.revoke_body')}</p>
        <ErrorNotice error={revoke.error} />
      </ConfirmDialog>
    </section>
  );
}
