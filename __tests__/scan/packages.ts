import type { ScanPackage } from '@release-actions/shared/scan';

/** A small SBOM's packages, for the scan tests against fixtures/osv. */
export const PACKAGES: ScanPackage[] = [
  {
    name: 'libc6',
    version: '2.36-9',
    purl: 'pkg:deb/debian/libc6@2.36-9?arch=amd64&upstream=glibc&distro=debian-12',
  },
  { name: 'lodash', version: '4.17.20', purl: 'pkg:npm/lodash@4.17.20' },
  { name: 'lodash', version: '4.17.21', purl: 'pkg:npm/lodash@4.17.21' },
  { name: 'minimist', version: '1.2.5', purl: 'pkg:npm/minimist@1.2.5' },
  { name: 'left-pad', version: '1.3.0', purl: 'pkg:npm/left-pad@1.3.0' },
  { name: 'Jinja2', version: '3.1.2', purl: 'pkg:pypi/jinja2@3.1.2' },
  { name: 'Jinja2', version: '3.1.3', purl: 'pkg:pypi/jinja2@3.1.3' },
  { name: 'requests', version: '2.30.0', purl: 'pkg:pypi/requests@2.30.0' },
  {
    name: 'libcrypto3',
    version: '3.1.4-r4',
    purl: 'pkg:apk/alpine/libcrypto3@3.1.4-r4?arch=x86_64&upstream=openssl&distro=alpine-3.19.1',
  },
  { name: 'golang.org/x/net', version: 'v0.15.0', purl: 'pkg:golang/golang.org/x/net@v0.15.0' },
  { name: 'openssl', version: '0.10.55', purl: 'pkg:cargo/openssl@0.10.55' },
  { name: 'thing', version: '1.0', purl: 'pkg:generic/thing@1.0' },
];
