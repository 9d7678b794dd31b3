// Egress governance: requests to model providers that no governed unit made (docs/egress.md).

export { type EgressStatus, egressStatus, installEgress, uninstallEgress } from './egress';
export { currentGovernedCall, UNGOVERNED_ATTRIBUTE } from './egress-state';
export { type EgressHostOption, KNOWN_PROVIDER_HOSTS } from './hosts';
export { DEFAULT_EGRESS_MODE, type EgressMode, type EgressOptions } from './options';
