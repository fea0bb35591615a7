// SPDX-License-Identifier: Apache-2.0

// Package fence is osr's fence agent: dlm_controld runs it when a cluster node has
// failed, and it makes sure that node is dead by carrying out the node's fence methods
// from the cluster configuration.
//
// Without pacemaker, dlm_controld's default fence device (dlm_stonith) can never
// succeed, and the survivors wait forever; the fence agents of Debian's fence-agents
// package are Python programs that do not belong in the initrd. So osr is its own
// fence agent. The osr binary acts as the agent when it is started under the name
// AgentName ("fence_osr", a link to osr inside the cluster-services chroot), and
// DLMConf writes the dlm.conf line that names it:
//
//	fence_all /usr/sbin/fence_osr
//
// How dlm_controld runs an agent (dlm 4.2, fence.c and fence_config.c): it forks,
// points the agent's standard output and error at /dev/null and writes key=value lines
// to its standard input: the fence_all (or device and connect) arguments with spaces
// turned into newlines, then node=NODEID unless an argument already named the node,
// then fail_time=SECONDS (the wall-clock time of the failure). Exit status 0 means the
// node is fenced; anything else, or death by a signal, is a failure, and dlm_controld
// runs the agent again (repeat_failed_fencing, the default). It never times an agent
// out; it kills it with SIGKILL when `dlm_tool fence_ack NODEID` is given or when the
// node rejoins cleanly. ParseRequest reads that input.
//
// The agent reads the cluster configuration at ClusterConfigPath inside the chroot
// (cluster.conf or osr's HCL; a config= argument names another file), finds the victim
// by its node id and tries the node's fence methods in the order written. A method
// succeeds when every device in it succeeds (two power supplies, two PDUs); the first
// method that succeeds ends the run with exit status 0. When every method failed the
// agent exits 1 and dlm_controld runs it again. A request or configuration it cannot
// use exits 2. The devices osr carries out (Kind):
//
//   - IPMI power off over the LAN (fence_ipmilan and its aliases), with a check that
//     the chassis reports power off afterwards;
//   - an ssh command to a PDU or hypervisor (fence_osr_ssh), with a mandatory host key
//     check and an optional status command;
//   - the manual method (fence_manual): the agent tells the administrator to make sure
//     the node is dead and waits, a bounded time per run, for `osr cluster fence-ack
//     NODE` (Acknowledge).
//
// Fencing is never switched off silently: DLMConf refuses a cluster in which a node has
// no fence method, unless the configuration itself says <dlm enable_fencing="0"/>.
// The agent's standard streams are /dev/null, so it logs to the kernel log (/dev/kmsg,
// seen on the console and in dmesg) and to LogPath; passwords never appear in either.
package fence
