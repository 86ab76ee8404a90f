#!/bin/sh
# version_test.sh BUILD_DIR SOURCE_DIR VERSION - every place that states the
# version says meson's project version (VERSION): the programs' --version,
# pkg-config, the library's soname and file name, the man pages' footer,
# debian/changelog and the names the Debian packaging derives from the
# soname.  A release changes meson.build and debian/changelog, nothing else.
set -eu
build=$1
src=$2
version=$3
major=${version%%.*}
bad=0
no() { echo "not ok - $*"; bad=1; }

out=$("$build/tools/smpolicy" --version)
[ "$out" = "smpolicy $version" ] || no "smpolicy --version says '$out'"
out=$("$build/tools/squid/smpolicy-squid" --version)
[ "$out" = "smpolicy-squid $version" ] || no "smpolicy-squid --version says '$out'"

out=$(PKG_CONFIG_PATH="$build/meson-private" pkg-config --modversion smpolicy)
[ "$out" = "$version" ] || no "pkg-config --modversion smpolicy says '$out'"

so="$build/libsmpolicy/libsmpolicy.so.$version"
if [ -f "$so" ]; then
	soname=$(objdump -p "$so" | awk '$1 == "SONAME" {print $2}')
	[ "$soname" = "libsmpolicy.so.$major" ] || no "the soname is '$soname'"
else
	no "no $so: the library's file name does not follow the version"
fi

pages=0
for page in "$build"/man/*.[1-8]; do
	[ -f "$page" ] || continue
	pages=$((pages + 1))
	footer=$(awk -F'"' '/^\.TH / {print $8; exit}' "$page")
	[ "$footer" = "libsmpolicy $version" ] || no "$(basename "$page")'s footer is '$footer'"
done
[ "$pages" -gt 0 ] || echo "# no man pages built (-Dman=disabled): footers not checked"

# debian/changelog's first line: "libsmpolicy (VERSION) ...", a native package
changelog=$(sed -n '1s/^libsmpolicy (\([^)]*\)).*/\1/p' "$src/debian/changelog")
[ "$changelog" = "$version" ] || no "debian/changelog says '$changelog'"
grep -q "^Package: libsmpolicy$major\$" "$src/debian/control" ||
	no "debian/control has no package libsmpolicy$major for soname $major"
grep -q "^libsmpolicy.so.$major libsmpolicy$major " "$src/debian/libsmpolicy1.symbols" ||
	no "debian/libsmpolicy1.symbols does not name libsmpolicy.so.$major"

[ "$bad" -eq 0 ] || exit 1
echo "ok - $version everywhere: --version, pkg-config, soname, $pages man pages, debian/changelog"
