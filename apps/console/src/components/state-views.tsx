import type { ComponentChildren } from 'preact';
import type { Resource } from '../use-resource.js';

export function Loading({ what }: { what: string }) {
  return (
    <p class="state state-loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorNotice({ error, retry }: { error: Error; retry?: () => void }) {
  return (
    <div class="state state-error" role="alert">
      <p>{error.message}</p>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="state state-empty">{children}</p>;
}

/** The loading and error states of a resource, or `children(data)` once it is there. */
export function Loaded<T>({ resource, what, children }: { resource: Resource<T>; what: string; children: (data: T) => ComponentChildren }) {
  if (resource.state === 'loading') return <Loading what={what} />;
  if (resource.state === 'error') return <ErrorNotice error={resource.error} retry={resource.reload} />;
  return <>{children(resource.data)}</>;
}
