import './styles.css';
import {
  Alert,
  Badge,
  Button,
  Container,
  Group,
  Loader,
  MantineProvider,
  PasswordInput,
  Stack,
  Tabs,
  Text,
  Title,
} from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError, api, type Session, setCsrf } from './api';
import { ApprovalsPage, AuditPage, BlockedPage, BudgetsPage, PolicyPage, SpendPage } from './pages';

const PAGES = [
  { id: 'budgets', label: 'Budgets', Page: BudgetsPage },
  { id: 'spend', label: 'Spend', Page: SpendPage },
  { id: 'blocked', label: 'Blocked calls', Page: BlockedPage },
  { id: 'approvals', label: 'Approvals', Page: ApprovalsPage },
  { id: 'audit', label: 'Audit', Page: AuditPage },
  { id: 'policy', label: 'Policy', Page: PolicyPage },
] as const;

function pageFromHash(): string {
  const id = window.location.hash.replace(/^#\/?/, '');
  return PAGES.some((page) => page.id === id) ? id : 'budgets';
}

function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const submit = async (value: string) => {
    try {
      const session = await api<Session>('session', { method: 'POST', body: { token: value } });
      setCsrf(session.csrf);
      onSignedIn(await api<Session>('session'));
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };
  return (
    <Container size={420} mt={80}>
      <Title order={2}>GenOps console</Title>
      <Text c="dimmed" mb="md">
        Sign in with the token `genops console` printed (or GENOPS_CONSOLE_TOKEN).
      </Text>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void submit(token);
        }}
      >
        <Stack>
          <PasswordInput
            label="Token"
            value={token}
            onChange={(event) => setToken(event.currentTarget.value)}
            data-testid="token"
          />
          {error ? <Alert color="red">{error}</Alert> : null}
          <Button type="submit" data-testid="sign-in">
            Sign in
          </Button>
        </Stack>
      </form>
    </Container>
  );
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [page, setPage] = useState(pageFromHash());
  const signedOut = useCallback(() => setSession(null), []);
  useEffect(() => {
    const onHash = () => setPage(pageFromHash());
    window.addEventListener('hashchange', onHash);
    // A link `…/console/#token=<token>` (what `genops console` prints) signs in and forgets the token.
    const fromLink = window.location.hash.startsWith('#token=')
      ? decodeURIComponent(window.location.hash.slice(7))
      : undefined;
    (async () => {
      try {
        if (fromLink) {
          window.history.replaceState(null, '', window.location.pathname);
          await api<Session>('session', { method: 'POST', body: { token: fromLink } });
        }
        const current = await api<Session>('session');
        setCsrf(current.csrf);
        setSession(current);
      } catch (caught) {
        if (caught instanceof ApiError && caught.status === 401) setSession(null);
        else setSession(null);
      }
    })();
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  if (session === undefined)
    return (
      <Container mt={80}>
        <Loader />
      </Container>
    );
  if (session === null) return <SignIn onSignedIn={setSession} />;
  const signOut = async () => {
    await api('session', { method: 'DELETE' }).catch(() => undefined);
    setSession(null);
  };
  return (
    <Container size="xl" py="md">
      <Group justify="space-between" mb="md">
        <Title order={2}>GenOps console</Title>
        <Group>
          <Badge variant="light" data-testid="principal">
            {session.principal.name}
          </Badge>
          {session.via === 'session' ? (
            <Button variant="subtle" size="xs" onClick={() => void signOut()}>
              Sign out
            </Button>
          ) : null}
        </Group>
      </Group>
      <Tabs
        value={page}
        onChange={(value) => {
          if (value) window.location.hash = `#/${value}`;
        }}
        keepMounted={false}
      >
        <Tabs.List mb="md">
          {PAGES.map(({ id, label }) => (
            <Tabs.Tab key={id} value={id} data-testid={`tab-${id}`}>
              {label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {PAGES.map(({ id, Page }) => (
          <Tabs.Panel key={id} value={id} data-testid={`page-${id}`}>
            <Page refreshMs={session.refreshMs} onUnauthenticated={signedOut} />
          </Tabs.Panel>
        ))}
      </Tabs>
      <Text size="xs" c="dimmed" mt="xl">
        @genops/console {session.version}
      </Text>
    </Container>
  );
}

createRoot(document.getElementById('root')!).render(
  <MantineProvider>
    <App />
  </MantineProvider>,
);
