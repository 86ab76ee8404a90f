#!/bin/sh
# install_test.sh BUILD_DIR SOURCE_DIR - install into a scratch root, then
# build examples/client.c against the installed library with pkg-config
# alone and decide a request on the sample office: what a C programmer
# outside this tree would do.
set -eu
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet >/dev/null
pc=$(find "$tmp/root" -name smpolicy.pc | head -n 1)
[ -n "$pc" ] || { echo "not ok: smpolicy.pc was not installed"; exit 1; }
pcdir=$(dirname "$pc")
for f in include/smpolicy.h; do
	find "$tmp/root" -path "*/$f" | grep -q . || { echo "not ok: $f not installed"; exit 1; }
done
so=$(find "$tmp/root" -name 'libsmpolicy.so.1' | head -n 1)
[ -n "$so" ] || { echo "not ok: libsmpolicy.so.1 not installed"; exit 1; }
find "$tmp/root" -path '*/security/pam_smpolicy.so' | grep -q . ||
	{ echo "not ok: pam_smpolicy.so not in \$libdir/security"; exit 1; }
find "$tmp/root" -name 'smpolicy' -path '*/bin/*' | grep -q . ||
	{ echo "not ok: smpolicy not installed"; exit 1; }
find "$tmp/root" -path '*/libexec/smpolicy/smpolicy-squid' | grep -q . ||
	{ echo "not ok: smpolicy-squid not in \$libexecdir/smpolicy"; exit 1; }
# only smp_* is exported
bad=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^smp_' | grep -v '^SMPOLICY_2$' || true)
[ -z "$bad" ] || { echo "not ok: exports other than smp_*: $bad"; exit 1; }
objdump -p "$so" | grep -q 'SONAME *libsmpolicy.so.1$' || { echo "not ok: soname"; exit 1; }
# the tests' flag stays out of the installed interface
if find "$tmp/root" -name 'smpolicy_testing.h' | grep -q . ||
	find "$tmp/root" -name 'smpolicy.h' -exec grep -q 'SMP_LOAD_ALLOW_NONROOT' {} +; then
	echo "not ok: SMP_LOAD_ALLOW_NONROOT is installed"; exit 1
fi

prefix=$(PKG_CONFIG_PATH="$pcdir" pkg-config --variable=prefix smpolicy)
flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --define-variable=prefix="$tmp/root$prefix" \
	--cflags --libs smpolicy)
# a library built with the sanitizers needs their runtime in the program too
san=
if objdump -p "$so" | grep -q 'NEEDED.*libasan'; then
	san="-fsanitize=address,undefined"
fi
# shellcheck disable=SC2086
cc $san "$src/examples/client.c" $flags -o "$tmp/client"
mkdir -m 0755 "$tmp/office"
cp "$src"/examples/office/*.conf "$tmp/office/"
chmod 0644 "$tmp"/office/*.conf
libdir=$(dirname "$so")
if [ "$(id -u)" -ne 0 ]; then
	echo "ok - installed files and exports (skipping the run: the sample must be root-owned)"
	exit 0
fi
out=$(TZ=America/New_York LD_LIBRARY_PATH="$libdir" "$tmp/client" "$tmp/office/smpolicy.conf" \
	jdoe facebook ws-essex-0042 fb-essex-1 login 2026-11-25T10:00) || { echo "not ok: client: $out"; exit 1; }
[ "$out" = ALLOW ] || { echo "not ok: client said: $out"; exit 1; }
rc=0
out=$(TZ=America/New_York LD_LIBRARY_PATH="$libdir" "$tmp/client" "$tmp/office/smpolicy.conf" \
	cnguyen facebook ws-hudson-0107 "" view 2026-11-25T10:00) || rc=$?
[ "$rc" = 1 ] && echo "$out" | grep -q '^approval-expired' || { echo "not ok: client said ($rc): $out"; exit 1; }
echo "ok - installed, linked through pkg-config, decided ALLOW and DENY"
