import type { SettlementJournal } from '../store/settlement-journal';
import type { GovernanceStore } from '../store/types';
import type { CallRecorder } from './recorder';
import type { GovernorSettings } from './types';

/** What every stage may use: the store, the recorder and the settings. Stages hold no state of their own. */
export interface StageContext {
  readonly store: GovernanceStore;
  readonly recorder: CallRecorder;
  readonly settings: GovernorSettings;
  readonly journal: SettlementJournal;
}
