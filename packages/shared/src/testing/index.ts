/**
 * Real-service harnesses for integration tests (`@release-actions/shared/testing`): a loopback
 * docker-registry (anonymous, htpasswd or token auth with a loopback token issuer), a recording
 * and failure-injecting proxy, test images built in memory and pushed with plain HTTP, and the canary's routers
 * (HAProxy and nginx in front of two named servers), and the runner that runs a committed action
 * bundle as GitHub's runner does.
 */
export * from './process.ts';
export * from './registry.ts';
export * from './token-issuer.ts';
export * from './proxy.ts';
export * from './images.ts';
export * from './push.ts';
export * from './service.ts';
export * from './haproxy.ts';
export * from './nginx.ts';
export * from './named-server.ts';
export * from './prometheus.ts';
export * from './action-runner.ts';
export type { YamlValue } from './yaml.ts';
