// SPDX-License-Identifier: Apache-2.0

// Package shutdown is osr's shutdown contract for a shared root: powering off
// or rebooting one node never hangs and never disturbs the others.
//
// It has three parts.
//
// At boot, just before the switch to the real root, the init calls Handover:
// it prepares /run/initramfs as systemd expects it (a tmpfs holding osr
// itself as /run/initramfs/shutdown and an oldroot directory) and writes
// systemd's runtime configuration into /run (RuntimeFiles): the mounts the
// initrd made below the root are kept until the end, and the network
// interfaces that carry the root are left alone by systemd-networkd,
// NetworkManager and ifupdown.
//
// At shutdown, systemd stops the services, kills what is left (except the
// root storage daemons, whose argv[0] starts with '@'), unmounts what it
// can, pivots into /run/initramfs with the old root on /oldroot and execs
// /shutdown with the verb in argv[1]. osr, started under that name, calls
// Run: it unmounts the old root with bounded time (force, then detach),
// calls the cluster stack's leave hook, syncs and reboots, powers off or
// halts.
//
// Every system call goes through Config's and HandoverOptions' fields, so
// the sequence is tested against fakes; the defaults are the real calls.
package shutdown
