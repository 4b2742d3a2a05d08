#!/bin/bash
# t_identity.sh — the anonymous identity (DESIGN.md §4): user "user", hostname
# "empyra", per-app pseudonymous machine-id and boot_id (stable per app,
# different between apps, never the host's), no MAC addresses; and
# --identity=host keeping the real names.
. "$TESTS/lib.sh"

A=$(app_id IdentA)
B=$(app_id IdentB)

ids() {
        sb_sh --app="$1" 'echo "hostname=$(cat /proc/sys/kernel/hostname)"; echo "uname=$(uname -n)"
                echo "etc=$(cat /etc/hostname)"; echo "user=$(id -un)"
                echo "mid=$(cat /etc/machine-id)"; echo "boot=$(cat /proc/sys/kernel/random/boot_id)"'
}
field() {
        printf '%s\n' "$SB_OUT" | sed -n "s/^$1=//p"
}

ids "$A"
sb_is "$(field hostname)" empyra "the hostname is empyra"
sb_is "$(field uname)" empyra "uname -n says empyra"
sb_is "$(field etc)" empyra "/etc/hostname says empyra"
sb_is "$(field user)" user "id -un is user"
mid_a1=$(field mid)
boot_a1=$(field boot)

like "$mid_a1" '^[0-9a-f]{32}$' "/etc/machine-id is 32 lowercase hex digits"
host_mid=$(cat /etc/machine-id 2>/dev/null)
isnt "$mid_a1" "$host_mid" "the machine-id differs from the host's"
like "$boot_a1" '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "boot_id looks like a UUID"
host_boot=$(cat /proc/sys/kernel/random/boot_id)
isnt "$boot_a1" "$host_boot" "the boot_id differs from the host's"

ids "$A"
sb_is "$(field mid)" "$mid_a1" "the machine-id is stable across runs of the same app"
sb_is "$(field boot)" "$boot_a1" "the boot_id is stable across runs of the same app (same boot)"

ids "$B"
mid_b=$(field mid)
boot_b=$(field boot)
like "$mid_b" '^[0-9a-f]{32}$' "another app's machine-id is 32 hex digits too"
isnt "$mid_b" "$mid_a1" "another app has another machine-id"
isnt "$mid_b" "$host_mid" "another app's machine-id is not the host's either"
isnt "$boot_b" "$boot_a1" "another app has another boot_id"

# --- no MAC addresses ----------------------------------------------------------

sb_sh --app="$A" 'if [ -e /sys/class/net ]; then echo present; else echo absent; fi'
sb_is "$SB_OUT" absent "/sys/class/net is absent"
run_sb --app="$A" -- cat /proc/net/dev
ifaces=$(printf '%s\n' "$SB_OUT" | tail -n +3 | awk -F: '{gsub(/ /, "", $1); print $1}' | tr '\n' ' ')
sb_is "$ifaces" "lo " "/proc/net/dev lists only lo"
sb_sh --app="$A" 'cat /sys/class/dmi/id/product_serial /sys/class/dmi/id/product_uuid 2>/dev/null; echo end'
sb_is "$SB_OUT" end "no DMI serials are readable"

# --- --identity=host ---------------------------------------------------------------

sb_sh --app="$A" --identity=host 'echo "hostname=$(cat /proc/sys/kernel/hostname)"; echo "user=$(id -un)"'
sb_is "$(field hostname)" "$(uname -n)" "--identity=host keeps the host's hostname"
sb_is "$(field user)" "$(id -un)" "--identity=host keeps the user's name"

done_testing
