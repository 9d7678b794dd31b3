// The dispatcher egress puts where fetch requests are dispatched (undici's global slot, and a dispatcher
// passed to the global `fetch`): a Proxy over the dispatcher that was there, built as undici's own
// `compose` builds one, whose `dispatch` decides first. A request egress leaves untouched (not to a
// provider host, a governed call's own request, a read that bills nothing) goes to that dispatcher's own
// `dispatch` with the caller's handler as is. Only a request egress acts on goes through
// `compose(interceptor)`: compose adapts every handler to undici's newer handler API and back
// (`WrapHandler` → `UnwrapHandler`), which parses each response's raw headers into an object and encodes
// them back to Buffers — tens of µs a request that an adapter-governed call must not pay.
import type { EgressState } from './egress-state';
import type { Dispatch, DispatchOptions } from './govern-wire';
import { leavesUntouched } from './interceptor';
import type { DispatchHandler } from './wire-handler';

/** A dispatcher with `compose` (Node's bundled undici, the `undici` package from 6.x): one egress can front. */
export interface ComposableDispatcher {
  dispatch(options: DispatchOptions, handler: unknown): boolean;
  compose(...interceptors: unknown[]): { dispatch: Dispatch };
}

/** Whether `dispatcher` has the `dispatch` and `compose` egress needs. */
export function isComposable(dispatcher: unknown): dispatcher is ComposableDispatcher {
  return (
    typeof dispatcher === 'object' &&
    dispatcher !== null &&
    typeof (dispatcher as ComposableDispatcher).dispatch === 'function' &&
    typeof (dispatcher as ComposableDispatcher).compose === 'function'
  );
}

/**
 * `previous` with egress in front: its `dispatch` passes a request egress leaves untouched straight to
 * `previous.dispatch` with the caller's own handler (through {@link EgressState.passOn}, which
 * dispatcher-bypass.ts relies on), and any other to `previous.compose(interceptor)`. Everything else
 * (`close`, `destroy`, `compose`, events, undici's symbol-keyed state) is `previous`'s, as with compose.
 */
export function egressDispatcher<T extends ComposableDispatcher>(
  previous: T,
  state: EgressState,
  interceptor: (dispatch: Dispatch) => Dispatch,
): T {
  const acting = previous.compose(interceptor).dispatch;
  const send = (options: DispatchOptions, handler: DispatchHandler): boolean => previous.dispatch(options, handler);
  const dispatch = (options: DispatchOptions, handler: DispatchHandler): boolean =>
    leavesUntouched(state, options) ? state.passOn(options, handler, send) : acting(options, handler);
  return new Proxy(previous, {
    get: (target, key) => (key === 'dispatch' ? dispatch : (target as unknown as Record<PropertyKey, unknown>)[key]),
  });
}
