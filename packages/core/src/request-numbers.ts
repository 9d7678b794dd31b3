// The numbers of a governed request that the reservation's worst case is built from, checked before
// governance starts: a NaN, a negative or a string would otherwise reach the store as a refused amount
// (reported as a store failure) or, worse, shrink the reservation.
import { InvalidRequestError } from './errors/invalid-request-error';
import type { GovernedRequest, ReservationUnits } from './types';

const UNIT_AMOUNTS = [
  'audioInputSeconds',
  'audioOutputSeconds',
  'videoSeconds',
  'characters',
  'computeSeconds',
  'trainingTokens',
] as const satisfies readonly (keyof ReservationUnits)[];

const BATCH_COUNTS = ['requests', 'uncappedRequests', 'cappedOutputTokens'] as const;

/** Whether `value` is a finite number from 0 up. */
function isAmount(value: unknown): boolean {
  return typeof value === 'number' && value >= 0 && value !== Number.POSITIVE_INFINITY;
}

/** @throws {InvalidRequestError} naming the first number that is missing (where required) or not a finite number from 0 up. */
export function checkRequestNumbers(request: GovernedRequest): void {
  if (!isAmount(request.estimatedInputTokens)) fail(request, 'estimatedInputTokens', request.estimatedInputTokens);
  if (request.maxOutputTokens !== undefined && !isAmount(request.maxOutputTokens))
    fail(request, 'maxOutputTokens', request.maxOutputTokens);
  if (request.modelRequests !== undefined && !isAmount(request.modelRequests))
    fail(request, 'modelRequests', request.modelRequests);
  const { batch, units } = request;
  if (batch !== undefined) {
    for (const key of BATCH_COUNTS) if (!isAmount(batch[key])) fail(request, `batch.${key}`, batch[key]);
  }
  if (units !== undefined) checkUnits(request, units);
}

function checkUnits(request: GovernedRequest, units: ReservationUnits): void {
  for (const key of UNIT_AMOUNTS) {
    const value = units[key];
    if (value !== undefined && !isAmount(value)) fail(request, `units.${key}`, value);
  }
  units.images?.forEach((image, index) => {
    if (image.count !== undefined && !isAmount(image.count)) fail(request, `units.images[${index}].count`, image.count);
  });
}

function fail(request: GovernedRequest, field: string, received: unknown): never {
  throw new InvalidRequestError({ field, received, provider: request.provider, model: request.model });
}
