import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api/api-client.js';
import { Empty, ErrorNotice, Loading } from './components/state-views.js';
import { EventsPage } from './pages/events.page.js';
import { InventoryPage } from './pages/inventory.page.js';
import { LoginPage } from './pages/login.page.js';
import { OperationDetailPage } from './pages/operation-detail.page.js';
import { OperationsPage } from './pages/operations.page.js';
import { ProvidersPage } from './pages/providers.page.js';
import { ProvisionRequestPage } from './pages/provision-request.page.js';
import { ProvisionRequestsPage } from './pages/provision-requests.page.js';
import { RunDetailPage } from './pages/run-detail.page.js';
import { RunsPage } from './pages/runs.page.js';
import { VmDetailPage } from './pages/vm-detail.page.js';
import { href, useRoute, type Route } from './router.js';
import { forgetToken, signIn, storedToken, type Session } from './session.js';

const NAV = [
  { path: '/inventory', label: 'Inventory', title: 'Inventory' },
  { path: '/providers', label: 'Providers', title: 'Providers' },
  { path: '/events', label: 'Events', title: 'Events' },
  { path: '/runs', label: 'Runs', title: 'Playbook runs' },
  { path: '/operations', label: 'Operations', title: 'Operations' },
  { path: '/provision-requests', label: 'Provisioning', title: 'Provisioning' },
] as const;

type Startup = { state: 'checking' } | { state: 'signed-out'; notice: string | null } | { state: 'signed-in'; session: Session } | { state: 'failed'; error: Error };

export function App() {
  const route = useRoute();
  const [startup, setStartup] = useState<Startup>(() => (storedToken() ? { state: 'checking' } : { state: 'signed-out', notice: null }));

  const signOut = useCallback((notice: string | null) => {
    forgetToken();
    setStartup({ state: 'signed-out', notice });
  }, []);
  const refused = useCallback(() => signOut('The API refused the token (revoked or expired): sign in again.'), [signOut]);
  const start = useCallback(async (token: string) => setStartup({ state: 'signed-in', session: await signIn(token, refused) }), [refused]);

  // A token kept from earlier in this tab is checked again (it may have been revoked since).
  useEffect(() => {
    const token = storedToken();
    if (!token) return;
    start(token).catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 401) signOut('The saved token is no longer valid: sign in again.');
      else setStartup({ state: 'failed', error: error instanceof Error ? error : new Error(String(error)) });
    });
  }, [start, signOut]);

  useEffect(() => {
    document.title = `${titleOf(route)} · Hybridforms`;
  }, [route]);

  if (startup.state === 'checking') return <Loading what="your session" />;
  if (startup.state === 'failed') return <ErrorNotice error={startup.error} retry={() => location.reload()} />;
  if (startup.state === 'signed-out') return <LoginPage onSubmit={start} notice={startup.notice} />;
  const { session } = startup;
  return (
    <>
      <a class="skip-link" href="#main" onClick={skipToMain}>
        Skip to content
      </a>
      <header class="top-bar">
        <span class="brand">Hybridforms</span>
        <nav aria-label="Console">
          {NAV.map((item) => (
            <a key={item.path} href={href(item.path)} aria-current={route.path.startsWith(item.path) || (item.path === '/inventory' && route.path.startsWith('/vms/')) ? 'page' : undefined}>
              {item.label}
            </a>
          ))}
        </nav>
        <span class="who" data-testid="who">
          {session.name} · <span data-role={session.role}>{session.role}</span>
        </span>
        <button type="button" onClick={() => signOut(null)}>
          Sign out
        </button>
      </header>
      <div class="page">{pageOf(route, session)}</div>
    </>
  );
}

function pageOf(route: Route, session: Session) {
  const vm = /^\/vms\/([0-9a-f-]{36})$/i.exec(route.path);
  if (vm) return <VmDetailPage key={vm[1]} session={session} vmId={vm[1]} />;
  const run = /^\/runs\/([0-9a-f-]{36})$/i.exec(route.path);
  if (run) return <RunDetailPage key={run[1]} session={session} runId={run[1]} />;
  if (route.path === '/providers') return <ProvidersPage session={session} />;
  if (route.path === '/events') return <EventsPage session={session} route={route} />;
  if (route.path === '/runs') return <RunsPage session={session} route={route} />;
  const operation = /^\/operations\/([0-9a-f-]{36})$/i.exec(route.path);
  if (operation) return <OperationDetailPage key={operation[1]} session={session} operationId={operation[1]} />;
  if (route.path === '/operations') return <OperationsPage session={session} route={route} />;
  const request = /^\/provision-requests\/([0-9a-f-]{36})$/i.exec(route.path);
  if (request) return <ProvisionRequestPage key={request[1]} session={session} requestId={request[1]} />;
  if (route.path === '/provision-requests') return <ProvisionRequestsPage session={session} route={route} />;
  if (route.path === '/inventory') return <InventoryPage session={session} route={route} />;
  return (
    <main id="main">
      <h1>Not found</h1>
      <Empty>
        No page here. <a href={href('/inventory')}>Go to the inventory</a>.
      </Empty>
    </main>
  );
}

function titleOf(route: Route): string {
  if (route.path.startsWith('/vms/')) return 'Virtual machine';
  if (route.path.startsWith('/runs/')) return 'Playbook run';
  if (route.path.startsWith('/operations/')) return 'Operation';
  if (route.path.startsWith('/provision-requests/')) return 'Provision request';
  return NAV.find((item) => item.path === route.path)?.title ?? 'Console';
}

// The fragment holds the route, so the skip link moves the focus itself instead of navigating.
function skipToMain(event: Event) {
  event.preventDefault();
  const main = document.getElementById('main');
  main?.setAttribute('tabindex', '-1');
  main?.focus();
}
