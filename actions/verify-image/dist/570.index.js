export const id = 570;
export const ids = [570];
export const modules = {

/***/ 2570:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  openSource: () => (/* binding */ openSource),
  scanImage: () => (/* binding */ scanImage)
});

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: external "node:fs/promises"
var promises_ = __webpack_require__(1455);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: external "node:stream/promises"
var external_node_stream_promises_ = __webpack_require__(6466);
// EXTERNAL MODULE: ../../node_modules/@actions/tool-cache/lib/tool-cache.js + 2 modules
var tool_cache = __webpack_require__(2777);
// EXTERNAL MODULE: ../../packages/shared/src/index.ts
var src = __webpack_require__(9325);
// EXTERNAL MODULE: ../../packages/shared/src/scan/errors.ts
var errors = __webpack_require__(8684);
// EXTERNAL MODULE: ../../node_modules/packageurl-js/index.js
var packageurl_js = __webpack_require__(543);
;// CONCATENATED MODULE: ../../packages/shared/src/compare.ts
/**
 * String order that is the same on every machine: by Unicode code point, as Go's and Rust's string
 * comparisons (and UTF-8 byte order) are. `localeCompare` and `Intl.Collator` depend on the
 * runner's locale and ICU data, so documents sorted with them differ between runners.
 */
/**
 * Compares two strings by code point: negative when `a` sorts first, positive when `b` does, 0 when
 * equal. UTF-16 code units give the same order except that surrogate pairs (code points above
 * U+FFFF) must sort after U+E000–U+FFFF, which is corrected here.
 */
function compareCodePoints(a, b) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
        const x = a.charCodeAt(i);
        const y = b.charCodeAt(i);
        if (x !== y)
            return codePointRank(x) - codePointRank(y);
    }
    return a.length - b.length;
}
/** A code unit's place in code point order: surrogates (U+D800–U+DFFF) moved above U+FFFF's units. */
function codePointRank(unit) {
    if (unit >= 0xd800 && unit <= 0xdfff)
        return unit + 0x2000;
    if (unit >= 0xe000)
        return unit - 0x800;
    return unit;
}

;// CONCATENATED MODULE: ../../packages/shared/src/scan/ecosystems.ts
/**
 * From a Package URL to the package as OSV names it: ecosystem (spelled as in the OSV schema's
 * `ecosystems.json`, with the release suffix OSV uses), name and version. The purl types and
 * distribution suffixes follow osv-scanner's `internal/utility/purl/purl_to_package.go` and
 * osv-scalibr's `purl/ecosystem/ecosystem.go` and `extractor/filesystem/os/ecosystem/ecosystem.go`;
 * the source-package qualifiers (`upstream`, `epoch`) are the ones syft writes.
 */



/** Debian codenames → release numbers (Debian's distro-info-data, as osv-scalibr maps them). */
const DEBIAN_CODENAMES = {
    buzz: '1.1',
    rex: '1.2',
    bo: '1.3',
    hamm: '2',
    slink: '2.1',
    potato: '2.2',
    woody: '3',
    sarge: '3.1',
    etch: '4',
    lenny: '5',
    squeeze: '6',
    wheezy: '7',
    jessie: '8',
    stretch: '9',
    buster: '10',
    bullseye: '11',
    bookworm: '12',
    trixie: '13',
    forky: '14',
    duke: '15',
};
/** Ubuntu codenames → `YY.MM[:LTS]`. */
const UBUNTU_CODENAMES = {
    precise: '12.04:LTS',
    trusty: '14.04:LTS',
    xenial: '16.04:LTS',
    bionic: '18.04:LTS',
    cosmic: '18.10',
    disco: '19.04',
    eoan: '19.10',
    focal: '20.04:LTS',
    groovy: '20.10',
    hirsute: '21.04',
    impish: '21.10',
    jammy: '22.04:LTS',
    kinetic: '22.10',
    lunar: '23.04',
    mantic: '23.10',
    noble: '24.04:LTS',
    oracular: '24.10',
    plucky: '25.04',
    questing: '25.10',
    resolute: '26.04:LTS',
};
/** Purl types whose OSV ecosystem does not depend on the namespace. */
const SIMPLE_TYPES = {
    npm: 'npm',
    pypi: 'PyPI',
    golang: 'Go',
    cargo: 'crates.io',
    gem: 'RubyGems',
    maven: 'Maven',
    composer: 'Packagist',
    nuget: 'NuGet',
    hex: 'Hex',
    pub: 'Pub',
    conan: 'ConanCenter',
    cran: 'CRAN',
    hackage: 'Hackage',
    swift: 'SwiftURL',
    github: 'GitHub Actions',
};
/** rpm purl namespaces → OSV ecosystem and how its release suffix is formed from `distro`. */
const RPM_VENDORS = {
    redhat: { ecosystem: 'Red Hat', suffix: 'none' },
    rhel: { ecosystem: 'Red Hat', suffix: 'none' },
    almalinux: { ecosystem: 'AlmaLinux', suffix: 'major' },
    rocky: { ecosystem: 'Rocky Linux', suffix: 'major' },
    suse: { ecosystem: 'SUSE', suffix: 'none' },
    sles: { ecosystem: 'SUSE', suffix: 'none' },
    opensuse: { ecosystem: 'openSUSE', suffix: 'none' },
    mageia: { ecosystem: 'Mageia', suffix: 'full' },
    openeuler: { ecosystem: 'openEuler', suffix: 'none' },
};
/** The release part of a `distro` qualifier: `debian-12` → `12`, `alpine-3.19.1` → `3.19.1`. */
function distroRelease(distro) {
    if (!distro)
        return undefined;
    const dash = distro.lastIndexOf('-');
    return (dash >= 0 ? distro.slice(dash + 1) : distro).trim() || undefined;
}
function debianSuffix(release) {
    const mapped = DEBIAN_CODENAMES[release.toLowerCase()];
    if (mapped)
        return mapped;
    const major = /^(\d+)(?:\.\d+)*$/.exec(release);
    if (major)
        return Number(major[1]) >= 7 ? major[1] : release;
    return release.toLowerCase() === 'sid' ? 'sid' : undefined;
}
function ubuntuSuffix(release) {
    const mapped = UBUNTU_CODENAMES[release.toLowerCase()];
    if (mapped)
        return mapped;
    const m = /^(\d{2})\.(\d{2})/.exec(release);
    if (!m)
        return undefined;
    // LTS releases are the April releases of even years.
    const lts = m[2] === '04' && Number(m[1]) % 2 === 0;
    return `${m[1]}.${m[2]}${lts ? ':LTS' : ''}`;
}
function alpineSuffix(release) {
    const version = release.replace(/^[vV]/, '');
    if (version === 'edge')
        return 'edge';
    const m = /^(\d+)\.(\d+)/.exec(version);
    return m ? `v${m[1]}.${m[2]}` : undefined;
}
/** `name`, or the source-package part of an `upstream` qualifier (`glibc` or `glibc@2.36-9`). */
function sourceOf(upstream) {
    if (!upstream)
        return {};
    const at = upstream.indexOf('@');
    return at >= 0 ? { name: upstream.slice(0, at), version: upstream.slice(at + 1) } : { name: upstream };
}
/** The source package name from a source RPM file name: `openssl-3.0.7-1.el9.src.rpm` → `openssl`. */
function srpmName(srpm) {
    if (!srpm)
        return undefined;
    const m = /^(.+)-[^-]+-[^-]+\.(?:no)?src\.rpm$/.exec(srpm);
    return m?.[1];
}
/** Joins an ecosystem and its optional release suffix. */
function withSuffix(ecosystem, suffix) {
    return suffix ? `${ecosystem}:${suffix}` : ecosystem;
}
/**
 * Maps a package to OSV's terms, or returns `undefined` when OSV has no ecosystem for its purl
 * type (a `generic` purl, a distribution OSV does not cover). Throws a `ScanError`
 * `INVALID_PURL` when the purl does not parse.
 */
function toOsvPackage(pkg) {
    let purl;
    try {
        purl = packageurl_js.PackageURL.fromString(pkg.purl);
    }
    catch (err) {
        throw new errors/* ScanError */.s('INVALID_PURL', `package ${pkg.name}@${pkg.version}: "${pkg.purl}" is not a valid Package URL (pkg:type/namespace/name@version)`, { cause: err });
    }
    const q = purl.qualifiers ?? {};
    const version = purl.version ?? pkg.version;
    const ns = purl.namespace ?? '';
    const release = distroRelease(q.distro);
    const ref = mapPurl(purl.type, ns, purl.name, version, q, release);
    if (!ref)
        return undefined;
    return pkg.ecosystem ? { ...ref, ecosystem: pkg.ecosystem } : ref;
}
function mapPurl(type, ns, name, version, q, release) {
    switch (type) {
        case 'deb': {
            const vendor = ns.toLowerCase() || (q.distro ?? '').toLowerCase().split('-')[0];
            const source = sourceOf(q.upstream);
            const base = { name: source.name ?? name, version: source.version ?? version };
            if (vendor === 'debian')
                return { ...base, ecosystem: withSuffix('Debian', release && debianSuffix(release)) };
            if (vendor === 'ubuntu')
                return { ...base, ecosystem: withSuffix('Ubuntu', release && ubuntuSuffix(release)) };
            return undefined;
        }
        case 'apk': {
            const vendor = ns.toLowerCase();
            const source = sourceOf(q.upstream);
            const base = { name: source.name ?? name, version };
            if (vendor === 'wolfi')
                return { ...base, ecosystem: 'Wolfi' };
            if (vendor === 'chainguard')
                return { ...base, ecosystem: 'Chainguard' };
            if (vendor === 'alpine')
                return { ...base, ecosystem: withSuffix('Alpine', release && alpineSuffix(release)) };
            return undefined;
        }
        case 'rpm': {
            const vendor = RPM_VENDORS[ns.toLowerCase()];
            if (!vendor)
                return undefined;
            const evr = q.epoch && !/^\d+:/.test(version) ? `${q.epoch}:${version}` : version;
            const suffix = vendor.suffix === 'major' ? release?.split('.')[0] : vendor.suffix === 'full' ? release : undefined;
            // Red Hat names binary or source RPMs; the others name source RPMs.
            const rpmName = vendor.ecosystem === 'Red Hat' ? name : (srpmName(q.upstream) ?? name);
            return { ecosystem: withSuffix(vendor.ecosystem, suffix), name: rpmName, version: evr };
        }
        case 'golang':
            // The Go toolchain and standard library are `stdlib` in OSV.
            return { ecosystem: 'Go', name: ns ? `${ns}/${name}` : name, version };
        case 'maven':
            return { ecosystem: 'Maven', name: ns ? `${ns}:${name}` : name, version };
        default: {
            const ecosystem = SIMPLE_TYPES[type];
            if (!ecosystem)
                return undefined;
            return { ecosystem, name: normalizeName(ecosystem, ns ? `${ns}/${name}` : name), version };
        }
    }
}
/**
 * The OSV ecosystems (base names, no release suffix: `Debian`, not `Debian:12`) of the packages
 * OSV covers, sorted and once each: the folders of OSV's export to fetch for them
 * (`<ecosystem>/all.zip`; a base folder holds every release's records). Throws like
 * {@link toOsvPackage} on a purl that does not parse.
 */
function osvEcosystems(packages) {
    const ecosystems = new Set();
    for (const pkg of packages) {
        const ref = toOsvPackage(pkg);
        if (ref)
            ecosystems.add(baseEcosystem(ref.ecosystem));
    }
    return [...ecosystems].sort(compareCodePoints);
}
/**
 * A package name in the form used to compare names within an ecosystem: PyPI names are
 * normalised per PEP 503 (lowercase, runs of `-`, `_`, `.` to one `-`); other ecosystems compare
 * names exactly.
 */
function normalizeName(ecosystem, name) {
    if (baseEcosystem(ecosystem) === 'PyPI')
        return name.replace(/[-_.]+/g, '-').toLowerCase();
    return name;
}
/** The ecosystem before any `:` suffix: `Debian:12` → `Debian`. */
function baseEcosystem(ecosystem) {
    const colon = ecosystem.indexOf(':');
    return colon >= 0 ? ecosystem.slice(0, colon) : ecosystem;
}
/**
 * Whether two ecosystem strings denote the same ecosystem, as osv-scalibr's
 * `osvecosystem.Parsed.Equal` decides: the bases must be equal, and the suffixes too when both
 * have one (`Debian` matches `Debian:12`, `Debian:11` does not).
 */
function ecosystemsMatch(a, b) {
    const colonA = a.indexOf(':');
    const colonB = b.indexOf(':');
    if (colonA >= 0 && colonB >= 0)
        return a === b;
    return baseEcosystem(a) === baseEcosystem(b);
}

;// CONCATENATED MODULE: ../../packages/shared/src/scan/versions/apk.ts
/**
 * Alpine version ordering, as apk-tools' `src/version.c` does it. A version is
 * `digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}`, read as a sequence of typed tokens; two
 * versions compare token by token while both have tokens of the same type. Suffixes order
 * `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p`. A digit token with a
 * leading zero compares as a string (as Gentoo does). When one version runs out of matching
 * tokens first, the other is newer unless its next token is a pre-release suffix.
 */
// Token types, in the order apk-tools declares them: the order matters in the final comparison.
const INITIAL_DIGIT = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const COMMIT_HASH = 5;
const REVISION_NO = 6;
const END = 7;
const INVALID = 8;
/** Suffix ranks; `NONE` (no suffix) sits between the pre-release and post-release ones. */
const SUFFIXES = {
    alpha: 1,
    beta: 2,
    pre: 3,
    rc: 4,
    cvs: 6,
    svn: 7,
    git: 8,
    hg: 9,
    p: 10,
};
const SUFFIX_NONE = 5;
class Tokenizer {
    pos = 0;
    text;
    token = { type: INITIAL_DIGIT, value: '', suffix: 0 };
    constructor(text) {
        this.text = text;
        this.digits(INITIAL_DIGIT);
    }
    digits(type) {
        const start = this.pos;
        while (this.pos < this.text.length && isDigit(this.text[this.pos]))
            this.pos++;
        const value = this.text.slice(start, this.pos);
        this.token = { type: value === '' ? INVALID : type, value, suffix: 0 };
    }
    span(accept) {
        const start = this.pos;
        while (this.pos < this.text.length && accept(this.text[this.pos]))
            this.pos++;
        return this.text.slice(start, this.pos);
    }
    invalid() {
        this.token = { type: INVALID, value: '', suffix: 0 };
    }
    next() {
        const prev = this.token.type;
        const c = this.text[this.pos];
        if (c === undefined) {
            this.token = { type: END, value: '', suffix: 0 };
            return;
        }
        if (c >= 'a' && c <= 'z') {
            if (prev > DIGIT)
                return this.invalid();
            this.pos++;
            this.token = { type: LETTER, value: c, suffix: 0 };
        }
        else if (c === '.' || isDigit(c)) {
            if (c === '.') {
                if (prev > DIGIT)
                    return this.invalid();
                this.pos++;
            }
            if (prev === INITIAL_DIGIT || prev === DIGIT)
                this.digits(DIGIT);
            else if (prev === SUFFIX)
                this.digits(SUFFIX_NO);
            else
                this.invalid();
        }
        else if (c === '_') {
            if (prev > SUFFIX_NO)
                return this.invalid();
            this.pos++;
            const name = this.span((ch) => ch >= 'a' && ch <= 'z');
            const suffix = SUFFIXES[name];
            if (suffix === undefined)
                return this.invalid();
            this.token = { type: SUFFIX, value: name, suffix };
        }
        else if (c === '~') {
            if (prev >= COMMIT_HASH)
                return this.invalid();
            this.pos++;
            const hash = this.span((ch) => isDigit(ch) || (ch >= 'a' && ch <= 'f'));
            if (hash === '')
                return this.invalid();
            this.token = { type: COMMIT_HASH, value: hash, suffix: 0 };
        }
        else if (c === '-') {
            if (prev >= REVISION_NO || this.text[this.pos + 1] !== 'r')
                return this.invalid();
            this.pos += 2;
            this.digits(REVISION_NO);
        }
        else {
            this.invalid();
        }
    }
}
const isDigit = (c) => c >= '0' && c <= '9';
/** memcmp over the shorter length, then the shorter first (apk's `apk_blob_sort`). */
function blobSort(a, b) {
    return a === b ? 0 : a < b ? -1 : 1;
}
function compareNumbers(a, b) {
    const x = BigInt(a || '0');
    const y = BigInt(b || '0');
    return x === y ? 0 : x < y ? -1 : 1;
}
function tokenCompare(a, b) {
    switch (a.type) {
        case DIGIT:
            // A leading zero on either side: compare as strings, like Gentoo.
            if (a.value.startsWith('0') || b.value.startsWith('0'))
                return blobSort(a.value, b.value);
            return compareNumbers(a.value, b.value);
        case INITIAL_DIGIT:
        case SUFFIX_NO:
        case REVISION_NO:
            return compareNumbers(a.value, b.value);
        case LETTER:
            return blobSort(a.value, b.value);
        case SUFFIX:
            return Math.sign(a.suffix - b.suffix);
        default:
            return blobSort(a.value, b.value);
    }
}
/** Whether apk-tools would accept `version` as valid (`apk_version_validate`). */
function isValidApkVersion(version) {
    const t = new Tokenizer(version);
    while (t.token.type < END)
        t.next();
    return t.token.type === END;
}
/** Compares two Alpine package versions: negative, zero or positive. Invalid versions still compare, as apk does. */
function compareApk(a, b) {
    const ta = new Tokenizer(a);
    const tb = new Tokenizer(b);
    while (ta.token.type === tb.token.type && ta.token.type < END) {
        const r = tokenCompare(ta.token, tb.token);
        if (r !== 0)
            return r;
        ta.next();
        tb.next();
    }
    const x = ta.token;
    const y = tb.token;
    if (x.type === y.type)
        return 0;
    if (x.type === SUFFIX && x.suffix < SUFFIX_NONE)
        return -1;
    if (y.type === SUFFIX && y.suffix < SUFFIX_NONE)
        return 1;
    if (x.type > y.type)
        return -1;
    if (y.type > x.type)
        return 1;
    return 0;
}

;// CONCATENATED MODULE: ../../packages/shared/src/scan/versions/dpkg.ts
/**
 * Debian version ordering (`dpkg --compare-versions`), per deb-version(5) and dpkg's
 * `lib/dpkg/version.c`: `[epoch:]upstream[-revision]`, the epoch compared as a number, then
 * upstream and revision by `verrevcmp`, where `~` sorts before anything, even the end of the
 * string, letters before other characters, and digit runs compare as numbers.
 */
/** Splits `[epoch:]upstream[-revision]`: the epoch ends at the first `:`, the revision starts after the last `-`. */
function parseDpkgVersion(version) {
    const text = version.trim();
    const colon = text.indexOf(':');
    let epoch = 0;
    let rest = text;
    if (colon >= 0) {
        const digits = text.slice(0, colon);
        epoch = /^\d+$/.test(digits) ? Number(digits) : 0;
        rest = text.slice(colon + 1);
    }
    const dash = rest.lastIndexOf('-');
    return dash >= 0
        ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) }
        : { epoch, upstream: rest, revision: '' };
}
const dpkg_isDigit = (c) => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
/** The weight of a character: digits 0, letters their code, `~` -1, other characters code + 256, the end 0. */
function order(c) {
    if (c === undefined || dpkg_isDigit(c))
        return 0;
    if (isAlpha(c))
        return c.charCodeAt(0);
    if (c === '~')
        return -1;
    return c.charCodeAt(0) + 256;
}
function verrevcmp(a, b) {
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
        let firstDiff = 0;
        while ((i < a.length && !dpkg_isDigit(a[i])) || (j < b.length && !dpkg_isDigit(b[j]))) {
            const ac = order(a[i]);
            const bc = order(b[j]);
            if (ac !== bc)
                return ac - bc;
            i++;
            j++;
        }
        while (a[i] === '0')
            i++;
        while (b[j] === '0')
            j++;
        while (dpkg_isDigit(a[i]) && dpkg_isDigit(b[j])) {
            if (!firstDiff)
                firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
            i++;
            j++;
        }
        if (dpkg_isDigit(a[i]))
            return 1;
        if (dpkg_isDigit(b[j]))
            return -1;
        if (firstDiff)
            return firstDiff;
    }
    return 0;
}
/** Compares two Debian versions: negative, zero or positive as `a` sorts before, with or after `b`. */
function compareDpkg(a, b) {
    const va = parseDpkgVersion(a);
    const vb = parseDpkgVersion(b);
    if (va.epoch !== vb.epoch)
        return va.epoch > vb.epoch ? 1 : -1;
    return Math.sign(verrevcmp(va.upstream, vb.upstream) || verrevcmp(va.revision, vb.revision));
}

// EXTERNAL MODULE: ../../node_modules/semver/index.js
var semver = __webpack_require__(84);
var semver_default = /*#__PURE__*/__webpack_require__.n(semver);
;// CONCATENATED MODULE: ../../packages/shared/src/scan/versions/semver.ts
/**
 * SemVer 2.0 ordering (section 11 of semver.org) through the `semver` package, for OSV `SEMVER`
 * ranges and the npm, crates.io and other SemVer ecosystems. A leading `v` is accepted, and loose
 * forms (`1.2`, `=1.2.3`) are read as `semver`'s loose mode reads them.
 */

/** The version parsed, or `undefined` when it is not SemVer even loosely. */
function parseSemver(version) {
    const text = version.trim().replace(/^v(?=\d)/, '');
    return semver_default().parse(text) ?? semver_default().parse(text, { loose: true }) ?? coercePartial(text);
}
/** `1`, `1.2` → `1.0.0`, `1.2.0` (OSV events sometimes omit trailing components). */
function coercePartial(text) {
    const m = /^(\d+)(?:\.(\d+))?((?:-|\+).*)?$/.exec(text);
    if (!m)
        return undefined;
    return semver_default().parse(`${m[1]}.${m[2] ?? '0'}.0${m[3] ?? ''}`) ?? undefined;
}
/** Compares two SemVer versions; throws a `RangeError` naming the version that is not SemVer. */
function compareSemver(a, b) {
    const x = parseSemver(a);
    const y = parseSemver(b);
    if (!x)
        throw new RangeError(`"${a}" is not a semantic version`);
    if (!y)
        throw new RangeError(`"${b}" is not a semantic version`);
    return x.compare(y);
}

;// CONCATENATED MODULE: ../../packages/shared/src/scan/versions/go.ts
/**
 * Go module version ordering: SemVer with a `v` prefix (`v1.2.3`, `+incompatible` builds ignored
 * as SemVer ignores build metadata), pseudo-versions (`v0.0.0-20210101000000-abcdef123456`) being
 * SemVer pre-releases that sort by their timestamp. OSV's Go records write versions without the
 * `v`; the standard library's `go1.21.3` tags are read as `1.21.3` (and `go1.21rc2` as
 * `1.21.0-rc.2`, as the Go vulnerability database does).
 */

/** A Go version in the SemVer form OSV's Go records use. */
function normalizeGoVersion(version) {
    const text = version.trim();
    const toolchain = /^go(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(rc|beta)(\d+))?$/.exec(text);
    if (toolchain) {
        const [, major, minor = '0', patch = '0', pre, preNo] = toolchain;
        return `${major}.${minor}.${patch}${pre ? `-${pre}.${preNo}` : ''}`;
    }
    return text.replace(/^v/, '');
}
/** Compares two Go module (or toolchain) versions. */
function compareGo(a, b) {
    return compareSemver(normalizeGoVersion(a), normalizeGoVersion(b));
}

;// CONCATENATED MODULE: ../../packages/shared/src/scan/versions/maven.ts
/**
 * Maven version ordering as OSV evaluates `Maven` ranges: the POM reference's "Version Order
 * Specification" with the details of Maven's `ComparableVersion`, as osv.dev
 * (`osv/ecosystems/maven.py`) and osv-scalibr (`semantic/version-maven.go`) implement it.
 *
 * A version is split into tokens at `.` and `-` and where digits meet non-digits (such a split
 * counts as `-`); each token keeps the separator before it. Tokens are case-insensitive, empty
 * ones are `0`, `cr` is `rc`, `ga`, `final` and `release` are empty, and `a`, `b`, `m` directly
 * followed by digits are `alpha`, `beta`, `milestone`; numbers lose leading zeros. Trailing
 * "null" tokens (`0`, empty) are trimmed from the end, and again before each hyphen from the end
 * to the start. Versions compare token by token, the shorter one padded with null tokens of the
 * other's separator (`.0`, or `-` and empty); numbers compare numerically and after qualifiers,
 * qualifiers in the order alpha < beta < milestone < rc < snapshot < "" < sp < anything else
 * (lexically), and between separators `.qualifier` < `-qualifier` < `-number` < `.number`.
 *
 * Where the two OSV implementations differ, osv-scalibr's is followed: a `.sp` is compared with
 * an empty padding value (so 1 < 1.sp, as in Maven), not with `.0`. Like both, and unlike Maven's
 * `ComparableVersion`, `1.foo` sorts before `1-foo` (Maven has them equal), and qualifiers
 * followed by dotted numbers (`1.xyz.1`) compare token by token rather than as Maven's sub-lists.
 */
const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const isNumber = (v) => /^\d+$/.test(v);
const isNull = (t) => t.value === '0' || t.value === '' || t.value === 'final' || t.value === 'ga';
/** Splits at every place where a digit meets a non-digit. */
function runs(part) {
    return part.match(/\d+|\D+/g) ?? [''];
}
function tokenize(version) {
    const tokens = [];
    const parts = version.split(/([.-])/);
    for (let i = 0; i < parts.length; i += 2) {
        const pieces = runs(parts[i]);
        pieces.forEach((piece, j) => {
            let value = piece.toLowerCase() || '0';
            if (value === 'cr')
                value = 'rc';
            if (value === 'ga' || value === 'final' || value === 'release')
                value = '';
            if (j < pieces.length - 1) {
                if (value === 'a')
                    value = 'alpha';
                else if (value === 'b')
                    value = 'beta';
                else if (value === 'm')
                    value = 'milestone';
            }
            if (isNumber(value))
                value = value.replace(/^0+(?=\d)/, '');
            tokens.push({ sep: j > 0 ? '-' : i === 0 ? '' : parts[i - 1], value });
        });
    }
    // Trim null tokens from the end, then from before each hyphen, going towards the start.
    let i = tokens.length - 1;
    while (i > 0) {
        if (isNull(tokens[i])) {
            tokens.splice(i, 1);
            i--;
            continue;
        }
        while (i >= 0 && tokens[i].sep !== '-')
            i--;
        i--;
    }
    return tokens;
}
/** The null token that pads the shorter version where the other has `other`. */
function padFor(other) {
    // `sp` is the one qualifier above an empty value, so it is padded with one.
    if (other.sep === '.')
        return { sep: '.', value: other.value === 'sp' ? '' : '0', pad: true };
    return { sep: '-', value: '', pad: true };
}
/** Rank of a token's kind when the separators differ. */
function kindRank(t) {
    const number = isNumber(t.value);
    if (t.sep === '-')
        return number ? 2 : 1;
    return number ? 3 : 0;
}
function qualifierRank(value) {
    const i = QUALIFIERS.indexOf(value);
    return i < 0 ? QUALIFIERS.length : i;
}
function compareTokens(a, b) {
    if (a.sep !== b.sep)
        return Math.sign(kindRank(a) - kindRank(b));
    const an = isNumber(a.value);
    const bn = isNumber(b.value);
    if (an && bn) {
        const x = BigInt(a.value);
        const y = BigInt(b.value);
        return x < y ? -1 : x > y ? 1 : 0;
    }
    // Numbers sort after qualifiers, unless they are padding.
    if (an && !a.pad)
        return 1;
    if (bn && !b.pad)
        return -1;
    const ra = qualifierRank(a.value);
    const rb = qualifierRank(b.value);
    if (ra === QUALIFIERS.length && rb === QUALIFIERS.length)
        return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
    return Math.sign(ra - rb);
}
/** Compares two Maven versions; every string is a Maven version, so this never throws. */
function compareMaven(a, b) {
    const x = tokenize(a);
    const y = tokenize(b);
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
        const left = x[i] ?? padFor(y[i]);
        const right = y[i] ?? padFor(x[i]);
        if (left.sep === right.sep && left.value === right.value)
            continue;
        const c = compareTokens(left, right);
        if (c !== 0)
            return c;
    }
    return 0;
}

// EXTERNAL MODULE: ../../node_modules/@renovatebot/pep440/index.js + 4 modules
var pep440 = __webpack_require__(2195);
;// CONCATENATED MODULE: ../../packages/shared/src/scan/versions/pep440.ts
/**
 * Python version ordering (PEP 440: epochs, pre-, post- and dev-releases, local versions) through
 * `@renovatebot/pep440`.
 */

/** Compares two PEP 440 versions; throws a `RangeError` naming the version that is not PEP 440. */
function comparePep440(a, b) {
    if (!(0,pep440/* valid */.rZ)(a))
        throw new RangeError(`"${a}" is not a PEP 440 version`);
    if (!(0,pep440/* valid */.rZ)(b))
        throw new RangeError(`"${b}" is not a PEP 440 version`);
    return Math.sign((0,pep440/* compare */.UD)(a, b));
}

;// CONCATENATED MODULE: ../../packages/shared/src/scan/versions/rpm.ts
/**
 * RPM version ordering: `rpmvercmp` from rpm's `rpmio/rpmvercmp.cc` on each of epoch, version and
 * release (`[epoch:]version[-release]`, a missing epoch being 0). Segments are maximal runs of
 * digits or of letters; separators are skipped; `~` sorts before anything (even the end), `^`
 * after the end of the other string but before any further segment; numeric segments beat alpha
 * ones and compare by value (leading zeros dropped).
 */
const rpm_isDigit = (c) => c !== undefined && c >= '0' && c <= '9';
const rpm_isAlpha = (c) => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
/** `rpmvercmp(a, b)`: 1 if `a` is newer, -1 if `b` is, 0 if the same. */
function rpmvercmp(a, b) {
    if (a === b)
        return 0;
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
        while (i < a.length && !rpm_isDigit(a[i]) && !rpm_isAlpha(a[i]) && a[i] !== '~' && a[i] !== '^')
            i++;
        while (j < b.length && !rpm_isDigit(b[j]) && !rpm_isAlpha(b[j]) && b[j] !== '~' && b[j] !== '^')
            j++;
        if (a[i] === '~' || b[j] === '~') {
            if (a[i] !== '~')
                return 1;
            if (b[j] !== '~')
                return -1;
            i++;
            j++;
            continue;
        }
        if (a[i] === '^' || b[j] === '^') {
            if (i >= a.length)
                return -1;
            if (j >= b.length)
                return 1;
            if (a[i] !== '^')
                return 1;
            if (b[j] !== '^')
                return -1;
            i++;
            j++;
            continue;
        }
        if (!(i < a.length && j < b.length))
            break;
        const numeric = rpm_isDigit(a[i]);
        const inSegment = numeric ? rpm_isDigit : rpm_isAlpha;
        let ie = i;
        let je = j;
        while (ie < a.length && inSegment(a[ie]))
            ie++;
        while (je < b.length && inSegment(b[je]))
            je++;
        // Segments of different kinds: the numeric one is newer.
        if (je === j)
            return numeric ? 1 : -1;
        let one = a.slice(i, ie);
        let two = b.slice(j, je);
        if (numeric) {
            one = one.replace(/^0+/, '');
            two = two.replace(/^0+/, '');
            if (one.length !== two.length)
                return one.length > two.length ? 1 : -1;
        }
        if (one !== two)
            return one < two ? -1 : 1;
        i = ie;
        j = je;
    }
    if (i >= a.length && j >= b.length)
        return 0;
    return i >= a.length ? -1 : 1;
}
/** Splits `[epoch:]version[-release]` (the release after the last `-`). */
function parseEvr(text) {
    let rest = text.trim();
    let epoch = '0';
    const colon = rest.indexOf(':');
    if (colon >= 0 && /^\d*$/.test(rest.slice(0, colon))) {
        epoch = rest.slice(0, colon) || '0';
        rest = rest.slice(colon + 1);
    }
    const dash = rest.lastIndexOf('-');
    return dash >= 0
        ? { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) }
        : { epoch, version: rest, release: undefined };
}
/** `compare_values` of rpm's `rpmio/rpmver.cc`: an absent value sorts before a present one. */
function compareValues(a, b) {
    if (a === undefined || b === undefined)
        return a === b ? 0 : a === undefined ? -1 : 1;
    return rpmvercmp(a, b);
}
/** Compares two RPM `[epoch:]version[-release]` strings as `rpmverCmp` does (a missing epoch is 0). */
function compareRpm(a, b) {
    const ea = parseEvr(a);
    const eb = parseEvr(b);
    return (rpmvercmp(ea.epoch, eb.epoch) ||
        rpmvercmp(ea.version, eb.version) ||
        compareValues(ea.release, eb.release));
}

;// CONCATENATED MODULE: ../../packages/shared/src/scan/versions/index.ts
/**
 * Version ordering per OSV ecosystem: which comparator orders the versions of an ecosystem's
 * packages, following the ecosystem definitions of the OSV schema (`ecosystems.json`) and the
 * choices of osv-scalibr's `semantic/parse.go` for the ecosystems supported here.
 */














const SCHEMES = {
    dpkg: compareDpkg,
    apk: compareApk,
    rpm: compareRpm,
    semver: compareSemver,
    pep440: comparePep440,
    go: compareGo,
    maven: compareMaven,
};
/** Base ecosystem (before any `:` suffix) → its version scheme. */
const ECOSYSTEM_SCHEMES = {
    Debian: 'dpkg',
    Ubuntu: 'dpkg',
    Alpine: 'apk',
    Wolfi: 'apk',
    Chainguard: 'apk',
    'Red Hat': 'rpm',
    AlmaLinux: 'rpm',
    'Rocky Linux': 'rpm',
    SUSE: 'rpm',
    openSUSE: 'rpm',
    Mageia: 'rpm',
    openEuler: 'rpm',
    npm: 'semver',
    'crates.io': 'semver',
    Hex: 'semver',
    SwiftURL: 'semver',
    PyPI: 'pep440',
    Go: 'go',
    Maven: 'maven',
};
/** The version scheme of an OSV ecosystem (`Debian:12` → `dpkg`), or `undefined` if none is implemented. */
function versionSchemeOf(ecosystem) {
    const base = ecosystem.split(':')[0];
    return ECOSYSTEM_SCHEMES[base];
}
/** The comparator of an OSV ecosystem, or `undefined` when its ordering is not implemented here. */
function comparatorFor(ecosystem) {
    const scheme = versionSchemeOf(ecosystem);
    return scheme ? SCHEMES[scheme] : undefined;
}
/** The comparator of a named scheme. */
function comparatorOf(scheme) {
    return SCHEMES[scheme];
}

// EXTERNAL MODULE: ../../packages/shared/src/scan/osv.ts
var osv = __webpack_require__(5959);
;// CONCATENATED MODULE: ../../packages/shared/src/scan/match.ts
/**
 * Whether an OSV record affects a package version, by the evaluation algorithm of the OSV schema
 * (`docs/schema.md`, "Evaluation"): a version is affected if it is listed in
 * `affected[].versions` or lies in one of `affected[].ranges`, where a range's events, sorted by
 * version, switch the state on at `introduced` (`0` sorting first), off at `fixed` and past
 * `last_affected`, and `limit` events bound the range (`*` = infinity). `SEMVER` ranges use
 * SemVer ordering, `ECOSYSTEM` ranges the ecosystem's own; `GIT` ranges are not evaluated.
 */


const eventVersion = (e) => e.introduced ?? e.fixed ?? e.last_affected ?? e.limit ?? '';
/** Sorts events by version; `introduced: "0"` first, `limit: "*"` last; ties keep their order. */
function sortEvents(events, compare) {
    const rank = (e) => (e.introduced === '0' ? -1 : e.limit?.includes('*') ? 1 : 0);
    return [...events].sort((a, b) => {
        const ra = rank(a);
        const rb = rank(b);
        if (ra !== 0 || rb !== 0)
            return ra - rb;
        return compare(eventVersion(a), eventVersion(b));
    });
}
/** `BeforeLimits`: true without limit events, else if the version is below some limit. */
function beforeLimits(version, events, compare) {
    const limits = events.filter((e) => e.limit !== undefined);
    if (limits.length === 0)
        return true;
    return limits.some((e) => e.limit.includes('*') || compare(version, e.limit) < 0);
}
/**
 * Evaluates one range: `undefined` if not affected, else the first fixed version above `version`
 * (or `null` when none is known).
 */
function evaluateRange(version, range, compare) {
    if (!beforeLimits(version, range.events, compare))
        return undefined;
    const events = sortEvents(range.events, compare);
    let vulnerable = false;
    for (const evt of events) {
        if (evt.introduced !== undefined && (evt.introduced === '0' || compare(version, evt.introduced) >= 0))
            vulnerable = true;
        else if (evt.fixed !== undefined && compare(version, evt.fixed) >= 0)
            vulnerable = false;
        else if (evt.last_affected !== undefined && compare(version, evt.last_affected) > 0)
            vulnerable = false;
    }
    if (!vulnerable)
        return undefined;
    const fixed = events.find((e) => e.fixed !== undefined && compare(version, e.fixed) < 0)?.fixed;
    return { fixed: fixed ?? null };
}
function rangeComparator(range, ecosystem) {
    if (range.type === 'SEMVER')
        return compareSemver;
    if (range.type === 'ECOSYSTEM')
        return comparatorFor(ecosystem);
    return undefined;
}
/** Whether an `affected[]` entry names the package (ecosystem by osv-scalibr's rule, name normalised). */
function affectsPackage(affected, pkg) {
    const p = affected.package;
    if (!p)
        return false;
    return (ecosystemsMatch(p.ecosystem, pkg.ecosystem) &&
        normalizeName(p.ecosystem, p.name) === normalizeName(pkg.ecosystem, pkg.name));
}
/**
 * Evaluates a record against a package version; `undefined` when it does not affect it.
 * Withdrawn records are the caller's to skip.
 */
function matchRecord(record, pkg, options = {}) {
    for (const affected of record.affected ?? []) {
        if (!affectsPackage(affected, pkg))
            continue;
        const ecosystem = affected.package.ecosystem;
        const listed = (affected.versions ?? []).includes(pkg.version);
        const fixed = new Set();
        let inRange = false;
        let unfixedRange = false;
        for (const range of affected.ranges ?? []) {
            if (range.type === 'GIT')
                continue;
            const compare = rangeComparator(range, ecosystem);
            if (!compare) {
                options.onProblem?.({
                    id: record.id,
                    message: `no version ordering for ${range.type} ranges of ecosystem "${ecosystem}"`,
                });
                continue;
            }
            try {
                const result = evaluateRange(pkg.version, range, compare);
                if (!result)
                    continue;
                inRange = true;
                if (result.fixed === null)
                    unfixedRange = true;
                else
                    fixed.add(result.fixed);
            }
            catch (err) {
                options.onProblem?.({
                    id: record.id,
                    message: `a ${range.type} range of ${ecosystem} cannot be evaluated: ${err.message}`,
                });
            }
        }
        if (!listed && !inRange)
            continue;
        const compare = comparatorFor(ecosystem);
        const fixedVersions = unfixedRange ? [] : [...fixed];
        if (compare)
            fixedVersions.sort((a, b) => safeCompare(compare, a, b));
        return { affected, fixedVersions, byVersionList: listed && !inRange };
    }
    return undefined;
}
function safeCompare(compare, a, b) {
    try {
        return compare(a, b);
    }
    catch {
        return a < b ? -1 : a > b ? 1 : 0;
    }
}

// EXTERNAL MODULE: ../../packages/shared/src/errors.ts
var src_errors = __webpack_require__(1110);
// EXTERNAL MODULE: ../../packages/shared/src/limit.ts
var src_limit = __webpack_require__(1770);
// EXTERNAL MODULE: ../../packages/shared/src/logger.ts
var src_logger = __webpack_require__(837);
;// CONCATENATED MODULE: ../../packages/shared/src/scan/export.ts
/**
 * An OSV export directory, for offline and air-gapped scans and for tests: OSV's per-ecosystem
 * zip exports unpacked (`<dir>/<Ecosystem>/<ID>.json`) or a flat directory of `<ID>.json`. It is
 * read once and indexed in memory by (base ecosystem, normalised name).
 */








const keyOf = (ecosystem, name) => `${baseEcosystem(ecosystem)}\u0000${normalizeName(ecosystem, name)}`;
/** An in-memory index of an OSV export directory. Build it with {@link OsvExport.load}. */
class OsvExport {
    matchesVersions = false;
    description;
    /** Records read. */
    size;
    index;
    constructor(description, index, size) {
        this.description = description;
        this.index = index;
        this.size = size;
    }
    /** Builds an index from records already in memory (tests, or records fetched elsewhere). */
    static fromRecords(records, description = 'OSV records') {
        const index = new Map();
        for (const record of records) {
            const keys = new Set((record.affected ?? []).flatMap((a) => a.package ? [keyOf(a.package.ecosystem, a.package.name)] : []));
            for (const key of keys) {
                const list = index.get(key);
                if (list)
                    list.push(record);
                else
                    index.set(key, [record]);
            }
        }
        return new OsvExport(`${description} (${records.length} records)`, index, records.length);
    }
    /**
     * Reads every `*.json` in `dir` and in its immediate subdirectories (one per ecosystem); with
     * several directories (one unpacked export per ecosystem, say), all of them, a record found in
     * more than one (an advisory of two ecosystems) kept once. Throws `ScanError`
     * `VULN_SOURCE_UNAVAILABLE` naming `osv-db` if a directory or one of its files cannot be read,
     * and `INVALID_OSV_RECORD` naming the file if a record is malformed.
     */
    static async load(dir, options = {}) {
        const logger = options.logger ?? src_logger/* silentLogger */.q;
        const dirs = typeof dir === 'string' ? [dir] : dir;
        const limit = (0,src_limit/* concurrencyLimit */.r)(options.concurrency ?? 32);
        const byId = new Map();
        for (const one of dirs) {
            for (const record of await loadDirectory(one, limit))
                if (!byId.has(record.id))
                    byId.set(record.id, record);
        }
        const records = [...byId.values()];
        const description = options.description ?? `OSV export ${dirs.join(', ')}`;
        logger.debug(`${description}: ${records.length} records`);
        return OsvExport.fromRecords(records, description);
    }
    /** Records naming the package's ecosystem (any release) and name. */
    async lookup(packages) {
        return packages.map((p) => this.index.get(keyOf(p.ecosystem, p.name)) ?? []);
    }
}
async function loadDirectory(dir, limit) {
    const unreadable = (what, err) => new errors/* ScanError */.s('VULN_SOURCE_UNAVAILABLE', `osv-db ${dir} is unreadable: ${what}: ${(0,src_errors/* errorMessage */.gJ)(err)}. Fix: give osv-db a directory of OSV JSON records the runner can read (an unpacked OSV export, <dir>/<Ecosystem>/<ID>.json), or leave it empty to query osv-url`, { cause: err });
    let files;
    try {
        files = await listJson(dir);
    }
    catch (err) {
        throw unreadable('cannot list it', err);
    }
    return Promise.all(files.map((file) => limit(async () => {
        let text;
        try {
            text = await (0,promises_.readFile)(file, 'utf8');
        }
        catch (err) {
            throw unreadable(`cannot read ${file}`, err);
        }
        let json;
        try {
            json = JSON.parse(text);
        }
        catch (err) {
            throw new errors/* ScanError */.s('INVALID_OSV_RECORD', `osv-db ${dir}: ${file} is not JSON: ${(0,src_errors/* errorMessage */.gJ)(err)}`, { cause: err });
        }
        return (0,osv/* parseOsvRecord */.x)(json, `osv-db ${dir}: ${file}`);
    })));
}
async function listJson(dir) {
    const files = [];
    for (const entry of await (0,promises_.readdir)(dir, { withFileTypes: true })) {
        const path = (0,external_node_path_.join)(dir, entry.name);
        if (entry.isFile() && entry.name.endsWith('.json'))
            files.push(path);
        else if (entry.isDirectory()) {
            for (const sub of await (0,promises_.readdir)(path, { withFileTypes: true }))
                if (sub.isFile() && sub.name.endsWith('.json'))
                    files.push((0,external_node_path_.join)(path, sub.name));
        }
    }
    return files.sort();
}

// EXTERNAL MODULE: ../../packages/shared/src/scan/api.ts
var api = __webpack_require__(607);
// EXTERNAL MODULE: ../../packages/shared/src/scan/cvss.ts
var cvss = __webpack_require__(3324);
// EXTERNAL MODULE: ../../packages/shared/src/scan/severity.ts
var severity = __webpack_require__(4484);
;// CONCATENATED MODULE: ../../packages/shared/src/scan/scan.ts
/**
 * The scan: packages mapped to OSV, advisories looked up in a source, evaluated per ecosystem,
 * withdrawn ones dropped, each finding scored.
 */




function linkFor(record) {
    const advisory = record.references?.find((r) => r.type === 'ADVISORY')?.url;
    return advisory ?? `https://osv.dev/vulnerability/${encodeURIComponent(record.id)}`;
}
/**
 * Scans packages against a source. Packages without an OSV ecosystem are listed in `skipped`;
 * duplicates (same ecosystem, name and version) are queried once.
 */
async function scanPackages(packages, options) {
    const logger = options.logger ?? src_logger/* silentLogger */.q;
    const skipped = [];
    const mapped = [];
    for (const pkg of packages) {
        const ref = toOsvPackage(pkg);
        if (!ref)
            skipped.push({ package: pkg, reason: `OSV has no ecosystem for ${pkg.purl.split('/')[0]}` });
        else if (!ref.version)
            skipped.push({ package: pkg, reason: 'no version' });
        else
            mapped.push({ pkg, ref });
    }
    const unique = new Map();
    for (const { ref } of mapped)
        unique.set(refKey(ref), ref);
    const refs = [...unique.values()];
    const candidates = await options.source.lookup(refs);
    const byRef = new Map(refs.map((ref, i) => [refKey(ref), candidates[i] ?? []]));
    const findings = [];
    const withdrawn = new Set();
    const onProblem = (p) => logger.debug(`${p.id}: ${p.message}`);
    for (const { pkg, ref } of mapped) {
        const seen = new Set();
        for (const record of byRef.get(refKey(ref)) ?? []) {
            if (seen.has(record.id))
                continue;
            seen.add(record.id);
            const match = matchRecord(record, ref, { onProblem });
            let affected = match?.affected;
            if (!match) {
                // The API has matched already; trust it where our ordering cannot say.
                if (!options.source.matchesVersions)
                    continue;
                affected = record.affected?.find((a) => a.package?.name === ref.name);
                logger.debug(`${record.id}: reported by ${options.source.description} for ${ref.name}@${ref.version}, not confirmed locally`);
            }
            if (record.withdrawn) {
                withdrawn.add(record.id);
                continue;
            }
            findings.push({
                id: record.id,
                aliases: record.aliases ?? [],
                summary: record.summary ?? firstLine(record.details) ?? record.id,
                package: pkg,
                osv: ref,
                fixedVersions: match?.fixedVersions ?? [],
                severity: (0,severity/* assessSeverity */.aE)(record, affected),
                url: linkFor(record),
                record,
            });
        }
    }
    logger.info(`scanned ${mapped.length} packages against ${options.source.description}: ${findings.length} findings, ${skipped.length} packages skipped`);
    return {
        findings,
        scanned: mapped.length,
        skipped,
        withdrawn: [...withdrawn].sort(),
        source: options.source.description,
    };
}
function refKey(ref) {
    return `${ref.ecosystem}\u0000${ref.name}\u0000${ref.version}`;
}
function firstLine(text) {
    const line = text?.trim().split('\n')[0]?.trim();
    return line ? line.slice(0, 200) : undefined;
}

// EXTERNAL MODULE: ../../packages/shared/src/scan/allowlist.ts
var allowlist = __webpack_require__(4750);
// EXTERNAL MODULE: ../../packages/shared/src/scan/gate.ts
var scan_gate = __webpack_require__(1124);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
;// CONCATENATED MODULE: ../../packages/shared/src/scan/sarif.ts
/**
 * SARIF 2.1.0 for GitHub code scanning: one rule per advisory id (help text, link, tags and the
 * `security-severity` property GitHub ranks alerts by), one result per affected package, located
 * at the scanned artifact (the SBOM file or image reference, a non-empty `artifactLocation.uri`
 * as code scanning requires), with `partialFingerprints` so alerts stay stable across runs.
 * A finding the gate's allowlist accepted keeps its result, with a SARIF `suppressions` entry
 * (`kind: external`, `status: accepted`, the entry's reason and expiry as `justification`), so
 * code scanning shows it as suppressed rather than opening an alert for an accepted risk.
 */

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
/** A `security-severity` for levels without a CVSS score, inside GitHub's bands (critical > 9.0, high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9). */
const LEVEL_SCORE = {
    critical: 9.5,
    high: 8.0,
    medium: 5.5,
    low: 2.0,
    none: 0,
    unknown: undefined,
};
/** SARIF result level for a severity. */
function sarifLevel(level) {
    if (level === 'critical' || level === 'high')
        return 'error';
    if (level === 'medium')
        return 'warning';
    return 'note';
}
/** SARIF 2.1.0 §3.35: an accepted suppression kept outside the analysed artifact (the allowlist file). */
function sarifSuppression({ entry, source }) {
    return {
        kind: 'external',
        status: 'accepted',
        justification: `${entry.reason} (allowlist ${source} line ${entry.line}: ${entry.id}${entry.package ? ` in ${entry.package}` : ''}, accepted until ${entry.expires})`,
        properties: {
            allowlist: source,
            line: entry.line,
            id: entry.id,
            ...(entry.package ? { package: entry.package } : {}),
            expires: entry.expires,
        },
    };
}
const markdownEscape = (text) => text.replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`);
/** Builds the SARIF log (a plain JSON object, ready for `JSON.stringify`). */
function toSarif(findings, options) {
    const rules = new Map();
    const results = [];
    // By advisory and purl, as the fingerprint: the same decision for a package found twice.
    const key = (f) => `${f.id}\u0000${f.package.purl}`;
    const suppressions = new Map((options.gate?.suppressed ?? []).map((s) => [key(s.finding), s]));
    for (const f of findings) {
        if (!rules.has(f.id)) {
            const score = f.severity.score ?? LEVEL_SCORE[f.severity.level];
            const fixed = f.fixedVersions.length ? f.fixedVersions.join(', ') : 'no fixed version known';
            const details = f.record.details?.trim();
            rules.set(f.id, {
                id: f.id,
                name: f.id.replace(/[^A-Za-z0-9]/g, ''),
                shortDescription: { text: `${f.id}: ${f.summary}`.slice(0, 1000) },
                fullDescription: { text: (details || f.summary).slice(0, 4000) },
                helpUri: f.url,
                help: {
                    text: `${f.summary}\nAliases: ${f.aliases.join(', ') || 'none'}\nFixed in: ${fixed}\nSee ${f.url}`,
                    markdown: [
                        `**${markdownEscape(f.summary)}**`,
                        '',
                        `| Package | Installed | Fixed in | Severity |`,
                        `| --- | --- | --- | --- |`,
                        `| ${markdownEscape(f.osv.name)} | ${markdownEscape(f.package.version)} | ${markdownEscape(fixed)} | ${f.severity.level}${f.severity.score !== undefined ? ` (${f.severity.score})` : ''} |`,
                        '',
                        `Aliases: ${f.aliases.map(markdownEscape).join(', ') || 'none'}. [Advisory](${f.url})`,
                    ].join('\n'),
                },
                defaultConfiguration: { level: sarifLevel(f.severity.level) },
                properties: {
                    tags: ['security', 'vulnerability', f.osv.ecosystem.split(':')[0]],
                    precision: 'very-high',
                    ...(score !== undefined ? { 'security-severity': score.toFixed(1) } : {}),
                    ...(f.severity.vector ? { 'cvss-vector': f.severity.vector } : {}),
                },
            });
        }
        const suppressed = suppressions.get(key(f));
        results.push({
            ruleId: f.id,
            level: sarifLevel(f.severity.level),
            message: {
                text: `${f.package.name}@${f.package.version} is affected by ${f.id} (${f.severity.level}): ${f.summary}. ${f.fixedVersions.length ? `Fixed in ${f.fixedVersions.join(', ')}.` : 'No fixed version is known.'}`,
            },
            locations: [
                {
                    physicalLocation: { artifactLocation: { uri: options.artifactUri }, region: { startLine: 1 } },
                    logicalLocations: [{ name: f.package.purl, kind: 'package' }],
                },
            ],
            partialFingerprints: {
                'vulnerability/v1': createHash('sha256').update(key(f)).digest('hex'),
            },
            ...(suppressed ? { suppressions: [sarifSuppression(suppressed)] } : {}),
        });
    }
    return {
        $schema: SARIF_SCHEMA,
        version: '2.1.0',
        runs: [
            {
                tool: {
                    driver: {
                        name: options.toolName ?? 'release-actions scan',
                        ...(options.toolVersion ? { version: options.toolVersion } : {}),
                        informationUri: options.informationUri ?? 'https://osv.dev',
                        rules: [...rules.values()],
                    },
                },
                results,
            },
        ],
    };
}

;// CONCATENATED MODULE: ../../packages/shared/src/scan/summary.ts
/** A summary of a scan for outputs and the job summary: counts by severity and the worst findings. */


/** Orders findings worst first (severity, then CVSS score, then id and package by code point, for stability). */
function worstFirst(a, b) {
    return (severity/* SEVERITY_ORDER */.B.indexOf(b.severity.level) - severity/* SEVERITY_ORDER */.B.indexOf(a.severity.level) ||
        (b.severity.score ?? -1) - (a.severity.score ?? -1) ||
        compareCodePoints(a.id, b.id) ||
        compareCodePoints(a.package.name, b.package.name));
}
/** Counts findings by severity and lists the `top` worst. */
function summarize(findings, top = 10) {
    const bySeverity = Object.fromEntries(severity/* SEVERITY_ORDER */.B.map((l) => [l, 0]));
    for (const f of findings)
        bySeverity[f.severity.level]++;
    return {
        total: findings.length,
        bySeverity,
        fixable: findings.filter((f) => f.fixedVersions.length > 0).length,
        top: [...findings]
            .sort(worstFirst)
            .slice(0, top)
            .map((f) => ({
            id: f.id,
            severity: f.severity.level,
            ...(f.severity.score !== undefined ? { score: f.severity.score } : {}),
            package: f.package.name,
            version: f.package.version,
            fixedIn: f.fixedVersions,
            url: f.url,
            summary: f.summary,
        })),
    };
}

// EXTERNAL MODULE: ../../packages/shared/src/scan/inputs.ts
var scan_inputs = __webpack_require__(8886);
;// CONCATENATED MODULE: ../../packages/shared/src/scan/open.ts



/**
 * The source the inputs choose: the OSV export in `osv-db` (read once, here), else the OSV API at
 * `osv-url` through `http`. An unreadable export is ScanError VULN_SOURCE_UNAVAILABLE naming osv-db.
 * `osv-db: download` is not opened here: the exports to fetch depend on the packages, and the
 * runner keeps them (the action kit's `loadOsvExports`); asking for it is a programming error.
 */
async function openVulnerabilitySource(inputs, options) {
    if (inputs['osv-db'] === scan_inputs/* OSV_DB_DOWNLOAD */.ve)
        throw new TypeError('osv-db: download is opened with the ecosystems to fetch (action kit: loadOsvExports), not by openVulnerabilitySource');
    if (inputs['osv-db'])
        return OsvExport.load(inputs['osv-db'], { ...(options.logger && { logger: options.logger }) });
    return new api/* OsvApiClient */.Y6({
        http: options.http,
        baseUrl: inputs['osv-url'],
        ...(options.logger && { logger: options.logger }),
    });
}

;// CONCATENATED MODULE: ../../packages/shared/src/scan/index.ts
/**
 * Vulnerability scanning: packages (by purl) matched against OSV advisories, from an OSV export
 * directory or the OSV API, ordered per ecosystem, scored, gated, and written as SARIF.
 */



















;// CONCATENATED MODULE: ../../packages/action-kit/src/osv.ts
/**
 * `osv-db: download`: OSV's per-ecosystem export archives (`<export url>/<Ecosystem>/all.zip`, the
 * `gs://osv-vulnerabilities` bucket over HTTPS by default) fetched for the ecosystems a scan needs,
 * unpacked with `@actions/tool-cache` and kept in the runner's tool cache under `osv-<ecosystem>`,
 * version the UTC day (`YYYY.M.D`). Every job on the runner that day reads the same copy without
 * a request, so a matrix downloads once and a scan re-run that day is offline and sees the same
 * records. The archive comes through the shared HTTP client (its one retry policy: 408/429/5xx
 * and network errors), so a refused download fails at once and a flaky one is retried as every
 * other request of the actions is.
 *
 * Needs RUNNER_TOOL_CACHE and RUNNER_TEMP (set on every runner) and `unzip` (on GitHub's images).
 * The inputs (`osv-db: download`, `osv-export-url`) and their constants (`OSV_DB_DOWNLOAD`,
 * `OSV_EXPORT_URL`) are the shared `parseScanInputs`'s; only the download, which needs the runner's
 * tool cache, is here.
 */







/** The tool-cache version of a day: `YYYY.M.D` in UTC (semver, as the tool cache needs: no leading zeros). */
function osvExportVersion(day) {
    return `${day.getUTCFullYear()}.${day.getUTCMonth() + 1}.${day.getUTCDate()}`;
}
/** The tool-cache name of an ecosystem's export: `osv-npm`, `osv-crates.io`, `osv-GitHub-Actions`. */
function osvExportTool(ecosystem) {
    return `osv-${ecosystem.replace(/[^A-Za-z0-9._-]+/g, '-')}`;
}
function unavailable(message, cause) {
    return new errors/* ScanError */.s('VULN_SOURCE_UNAVAILABLE', `osv-db download: ${message}. Fix: check osv-export-url (a mirror of gs://osv-vulnerabilities serving <Ecosystem>/all.zip) and that the runner can reach it, or give osv-db a directory holding an unpacked OSV export, or leave osv-db empty to query osv-url`, cause === undefined ? undefined : { cause });
}
/**
 * The export of each of `ecosystems` (OSV's base names: `npm`, `Debian`, `PyPI`) for the day, from
 * the tool cache or downloaded into it. Throws ScanError VULN_SOURCE_UNAVAILABLE naming `osv-db`
 * and `osv-export-url` when an archive cannot be fetched or unpacked, or the runner has no tool cache.
 */
async function downloadOsvExports(ecosystems, options) {
    const env = options.env ?? process.env;
    for (const name of ['RUNNER_TOOL_CACHE', 'RUNNER_TEMP'])
        if (!env[name])
            throw unavailable(`${name} is not set: the exports are kept in the runner's tool cache, so this runs on a runner only`);
    const base = (options.exportUrl ?? scan_inputs/* OSV_EXPORT_URL */.Gq).replace(/\/+$/, '');
    const version = osvExportVersion(options.now ?? new Date());
    const copies = [];
    for (const ecosystem of ecosystems) {
        const tool = osvExportTool(ecosystem);
        const url = `${base}/${encodeURIComponent(ecosystem)}/all.zip`;
        const found = tool_cache/* find */.I6(tool, version);
        if (found) {
            options.logger.info(`OSV export ${ecosystem} of ${version}: in the tool cache (${found})`);
            copies.push({ ecosystem, dir: found, url, cached: true });
            continue;
        }
        const dir = await download(ecosystem, url, tool, version, env.RUNNER_TEMP, options);
        copies.push({ ecosystem, dir, url, cached: false });
    }
    return copies;
}
async function download(ecosystem, url, tool, version, runnerTemp, options) {
    const shown = (0,src/* redactUrl */.BO)(url);
    const work = await (0,promises_.mkdtemp)((0,external_node_path_.join)(runnerTemp, `${tool}-`));
    try {
        const archive = (0,external_node_path_.join)(work, 'all.zip');
        let res;
        try {
            res = await options.http.request({ method: 'GET', url, redirect: 'follow' });
        }
        catch (err) {
            throw unavailable(`${shown} is unreachable: ${(0,src/* errorMessage */.gJ)(err)}`, err);
        }
        if (res.status !== 200) {
            await res.body.dump().catch(() => undefined);
            throw unavailable(`${shown} answered ${res.status}${res.status === 404 ? ` (no export for ${ecosystem} there)` : ''}`);
        }
        try {
            await (0,external_node_stream_promises_.pipeline)(res.body, (0,external_node_fs_.createWriteStream)(archive));
        }
        catch (err) {
            throw unavailable(`${shown}: the download broke off: ${(0,src/* errorMessage */.gJ)(err)}`, err);
        }
        const unpacked = (0,external_node_path_.join)(work, 'records');
        await (0,promises_.mkdir)(unpacked);
        try {
            await tool_cache/* extractZip */.JE(archive, unpacked);
        }
        catch (err) {
            throw unavailable(`${shown} is not a zip archive that unpacks (${(0,src/* errorMessage */.gJ)(err)})`, err);
        }
        const dir = await tool_cache/* cacheDir */.e8(unpacked, tool, version);
        options.logger.info(`OSV export ${ecosystem} of ${version}: downloaded from ${shown}, kept in ${dir}`);
        return dir;
    }
    finally {
        await (0,promises_.rm)(work, { recursive: true, force: true });
    }
}
/**
 * The vulnerability source for `osv-db: download`: {@link downloadOsvExports} for `ecosystems`
 * (e.g. `osvEcosystems(packages)`), read as one {@link OsvExport}.
 */
async function loadOsvExports(ecosystems, options) {
    const now = options.now ?? new Date();
    const copies = await downloadOsvExports(ecosystems, { ...options, now });
    const version = osvExportVersion(now);
    const source = await OsvExport.load(copies.map((c) => c.dir), {
        logger: options.logger,
        description: `OSV exports of ${version}: ${copies.length ? copies.map((c) => c.ecosystem).join(', ') : 'none needed'}`,
    });
    return { source, copies };
}

// EXTERNAL MODULE: ../../packages/shared/src/verify/index.ts + 18 modules
var verify = __webpack_require__(4074);
;// CONCATENATED MODULE: ./src/scan.ts
/**
 * The deploy-time vulnerability gate of one verified image: the packages of its SBOM attestation(s)
 * by the trusted signer, scanned against OSV today and gated. main.ts loads this module only when
 * `scan` is true, so a plain verification starts without the scanner.
 *
 * The vulnerability source is opened once for every image (`openSource`). With `osv-db: download`
 * the exports needed are those of the ecosystems in each image's trusted SBOM, known only once its
 * attestation verified, so each image asks for its own, after that, and an image whose download
 * fails fails alone (fail closed: it is not verified). The downloads go one at a time: the tool
 * cache then dedupes them (a later image finds what an earlier one kept, as a later job does),
 * while two at once would both miss it and rewrite the same tool-cache directory under each other.
 * Images with the same ecosystems share one loaded export.
 */




/**
 * Scans the image at `digest` (already verified under `policy`): throws the VerifyError of a
 * missing or unusable SBOM attestation (ATTESTATION_MISSING, …) and the ScanError of an unusable
 * vulnerability source (VULN_SOURCE_UNAVAILABLE, e.g. a refused download); a failed gate is in the
 * result (`gate.passed`).
 */
async function scanImage(options, inputs, logger) {
    const { store, digest, policy } = options;
    const sboms = await (0,verify/* verifySbomAttestations */.Ao)({ store, digest, policy });
    for (const s of sboms.sboms)
        logger.info(`SBOM verified: ${(0,verify/* sbomText */.zA)(s)}`);
    const source = await options.source(sboms.packages);
    const result = await scanPackages(sboms.packages, { source, logger });
    const gate = (0,scan_gate/* evaluateGate */.D)(result.findings, {
        failOn: inputs['fail-on-severity'],
        ignoreUnfixed: inputs['ignore-unfixed'],
        ...(inputs.allowlist && { allowlist: inputs.allowlist }),
    });
    const { total, bySeverity } = summarize(result.findings);
    return {
        sboms: sboms.sboms,
        packages: sboms.packages.length,
        result,
        gate,
        counts: { total, ...bySeverity },
    };
}
/**
 * The source chosen by osv-db / osv-url, opened once for every image: the OSV API or the export
 * directory itself, or with `osv-db: download` the exports of the ecosystems of the packages asked
 * about, from the tool cache or `osv-export-url` (see the module comment).
 */
async function openSource(inputs, http, logger) {
    if (inputs['osv-db'] !== scan_inputs/* OSV_DB_DOWNLOAD */.ve) {
        const source = await openVulnerabilitySource(inputs, { http, logger });
        logger.info(`vulnerability source: ${source.description}`);
        return async () => source;
    }
    const exportUrl = inputs['osv-export-url'];
    logger.info(`vulnerability source: OSV's exports from ${(0,src/* redactUrl */.BO)(exportUrl)}, of the ecosystems in each image's trusted SBOM`);
    const now = new Date();
    const oneAtATime = (0,src/* concurrencyLimit */.ri)(1);
    const opened = new Map();
    return (packages) => {
        const ecosystems = osvEcosystems(packages);
        const key = ecosystems.join('\n');
        let source = opened.get(key);
        if (!source) {
            source = oneAtATime(async () => (await loadOsvExports(ecosystems, { exportUrl, http, logger, now })).source);
            opened.set(key, source);
        }
        return source;
    };
}


/***/ })

};
