import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { ClientConnectConfig } from '@temporalio/envconfig';

/**
 * Connection settings for worker and CLI alike, by the conventions of @temporalio/envconfig:
 * TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE and the
 * temporal.toml config file. Without any of them: the local dev server on localhost:7233, namespace default.
 */
export function temporalConnectConfig(): Required<ClientConnectConfig> {
  const config = loadClientConnectConfig();
  return {
    namespace: config.namespace ?? 'default',
    connectionOptions: { ...config.connectionOptions, address: config.connectionOptions.address ?? 'localhost:7233' },
  };
}

/** Where to point an SRE: the address and namespace, never the API key or certificates. */
export function describeTemporalTarget(config = temporalConnectConfig()): string {
  const tls = config.connectionOptions.tls ? ' (TLS)' : '';
  return `${config.connectionOptions.address}${tls}, namespace ${config.namespace}`;
}
