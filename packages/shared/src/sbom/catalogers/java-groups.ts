/**
 * Maven group ids of widely used projects that build their jars with Gradle, so the jars carry no
 * `pom.properties` and their manifests name no group (Spring's say `Implementation-Title:
 * spring-core` and `Automatic-Module-Name: spring.core`). Without the group, the purl cannot match
 * an OSV advisory, so these few families are named here by artifact-id prefix, longest first;
 * everything else falls back to the manifest and then the name, as syft does. Our own list, from
 * the projects' Maven Central coordinates; syft keeps a longer generated one.
 */

/** Artifact id prefixes (a prefix ending in `-` covers the family, one without is exact) → group id. */
const PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ['spring-boot', 'org.springframework.boot'],
  ['spring-boot-', 'org.springframework.boot'],
  ['spring-security-', 'org.springframework.security'],
  ['spring-authorization-server', 'org.springframework.security'],
  ['spring-data-', 'org.springframework.data'],
  ['spring-cloud-', 'org.springframework.cloud'],
  ['spring-integration-', 'org.springframework.integration'],
  ['spring-batch-', 'org.springframework.batch'],
  ['spring-kafka', 'org.springframework.kafka'],
  ['spring-kafka-', 'org.springframework.kafka'],
  ['spring-amqp', 'org.springframework.amqp'],
  ['spring-rabbit', 'org.springframework.amqp'],
  ['spring-rabbit-', 'org.springframework.amqp'],
  ['spring-session-', 'org.springframework.session'],
  ['spring-ldap-', 'org.springframework.ldap'],
  ['spring-retry', 'org.springframework.retry'],
  ['spring-hateoas', 'org.springframework.hateoas'],
  ['spring-graphql', 'org.springframework.graphql'],
  ['spring-ws-', 'org.springframework.ws'],
  ['spring-xml', 'org.springframework.ws'],
  ['spring-vault-', 'org.springframework.vault'],
  ['spring-shell-', 'org.springframework.shell'],
  ['spring-statemachine-', 'org.springframework.statemachine'],
  ['spring-restdocs-', 'org.springframework.restdocs'],
  ['spring-pulsar', 'org.springframework.pulsar'],
  // The framework itself: spring-core, spring-beans, spring-webmvc, …
  ['spring-', 'org.springframework'],
  ['kotlin-stdlib', 'org.jetbrains.kotlin'],
  ['kotlin-stdlib-', 'org.jetbrains.kotlin'],
  ['kotlin-reflect', 'org.jetbrains.kotlin'],
  ['kotlinx-coroutines-', 'org.jetbrains.kotlinx'],
  ['kotlinx-serialization-', 'org.jetbrains.kotlinx'],
  ['okhttp', 'com.squareup.okhttp3'],
  ['logging-interceptor', 'com.squareup.okhttp3'],
  ['okio', 'com.squareup.okio'],
  ['okio-', 'com.squareup.okio'],
  ['reactor-core', 'io.projectreactor'],
  ['reactor-netty', 'io.projectreactor.netty'],
  ['reactor-netty-', 'io.projectreactor.netty'],
  ['junit-jupiter', 'org.junit.jupiter'],
  ['junit-jupiter-', 'org.junit.jupiter'],
  ['junit-platform-', 'org.junit.platform'],
  ['junit-vintage-engine', 'org.junit.vintage'],
];

const ORDERED = [...PREFIXES].sort((a, b) => b[0].length - a[0].length);

/** The group id of a Gradle-built artifact of the families above, or undefined. */
export function knownGroupId(artifactId: string): string | undefined {
  for (const [prefix, group] of ORDERED) {
    if (prefix.endsWith('-') ? artifactId.startsWith(prefix) : artifactId === prefix) return group;
  }
  return undefined;
}
