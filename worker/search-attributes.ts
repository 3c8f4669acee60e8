import type { SearchAttributeType } from '@temporalio/common';
// The SDK's own converter from a search attribute type to the server's IndexedValueType (its tests use it too).
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { OPARETA_SEARCH_ATTRIBUTES } from '../workflows/definitions';

/** The part of the operator service this needs; `connection.operatorService` of a client or worker connection. */
export interface SearchAttributeAdmin {
  listSearchAttributes(request: { namespace: string }): Promise<{ customAttributes?: Record<string, number> | null }>;
  addSearchAttributes(request: { namespace: string; searchAttributes: Record<string, number> }): Promise<unknown>;
}

export interface SearchAttributeKey {
  name: string;
  type: SearchAttributeType;
}

export interface SearchAttributeLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
}

export type SearchAttributeRegistration =
  { status: 'present'; added: string[] } | { status: 'not-permitted'; missing: string[]; reason: string };

// gRPC status codes: the server is there, but this connection may not manage the namespace's attributes.
const ALREADY_EXISTS = 6;
const PERMISSION_DENIED = 7;
const UNIMPLEMENTED = 12;
const UNAUTHENTICATED = 16;

function grpcCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

/**
 * Registers the workflows' custom search attributes on the namespace, once: a workflow's first upsert of an
 * unknown attribute fails its workflow task until someone adds it. Idempotent (present ones are kept, a
 * concurrent worker adding the same is fine). Where the operator API is refused (Temporal Cloud with an API
 * key, an authorizer that allows workers only), it warns with the command to run and goes on.
 */
export async function ensureSearchAttributes(
  operator: SearchAttributeAdmin,
  namespace: string,
  log: SearchAttributeLogger,
  keys: readonly SearchAttributeKey[] = OPARETA_SEARCH_ATTRIBUTES,
): Promise<SearchAttributeRegistration> {
  let missing = keys.map((k) => k.name);
  try {
    const existing = (await operator.listSearchAttributes({ namespace })).customAttributes ?? {};
    const toAdd = keys.filter((key) => !(key.name in existing));
    missing = toAdd.map((k) => k.name);
    if (toAdd.length === 0) return { status: 'present', added: [] };
    const searchAttributes = Object.fromEntries(
      toAdd.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type) as number]),
    );
    await addTolerantOfRaces(operator, namespace, searchAttributes);
    log.info('registered search attributes', { namespace, added: missing });
    return { status: 'present', added: missing };
  } catch (err) {
    const code = grpcCode(err);
    if (code !== PERMISSION_DENIED && code !== UNIMPLEMENTED && code !== UNAUTHENTICATED) throw err;
    const reason = (err as Error).message;
    log.warn(
      'cannot register search attributes with this connection; add them once as an administrator ' +
        '(Temporal Cloud: tcld namespace search-attributes add, or the Cloud UI), else workflows that set them stall',
      { namespace, missing, reason, command: registrationCommand(namespace, keys) },
    );
    return { status: 'not-permitted', missing, reason };
  }
}

async function addTolerantOfRaces(
  operator: SearchAttributeAdmin,
  namespace: string,
  searchAttributes: Record<string, number>,
): Promise<void> {
  try {
    await operator.addSearchAttributes({ namespace, searchAttributes });
  } catch (err) {
    // Another worker starting at the same moment added them first.
    if (grpcCode(err) !== ALREADY_EXISTS) throw err;
  }
}

function registrationCommand(namespace: string, keys: readonly SearchAttributeKey[]): string {
  const flags = keys.map((k) => `--name ${k.name} --type ${k.type === 'KEYWORD' ? 'Keyword' : k.type}`).join(' ');
  return `temporal operator search-attribute create --namespace ${namespace} ${flags}`;
}
