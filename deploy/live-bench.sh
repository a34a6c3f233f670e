#!/usr/bin/env bash
# iperf3 A->B through a single `dswitch run` node on live ports (stateful firewall) against a plain Linux bridge
# between the same namespaces, in one run. Prints a table: TCP Gbit/s, UDP pps, switch CPU per packet, capture drops.
# Root only; everything lives in namespaces ds-lvb-* and root links dslvb*, removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${DUR:-5}; UDP_RATE=${UDP_RATE:-200M}
A=ds-lvb-a; B=ds-lvb-b; W=
cleanup() { [ -n "${SW:-}" ] && kill "$SW" 2>/dev/null; wait 2>/dev/null || true
  ip netns del $A 2>/dev/null || true; ip netns del $B 2>/dev/null || true
  for l in dslvba dslvbb dslvbbr; do ip link del $l 2>/dev/null || true; done; [ -z "$W" ] || rm -rf "$W"; }
trap cleanup EXIT
cleanup; W=$(mktemp -d)
host() { ip netns add $1; ip link add $2 type veth peer name $2p; ip link set $2p netns $1
  ip -n $1 link set $2p name eth0; echo 1 > /proc/sys/net/ipv6/conf/$2/disable_ipv6
  ip netns exec $1 sysctl -qw net.ipv6.conf.all.disable_ipv6=1; ip -n $1 addr add $3 dev eth0
  ip -n $1 link set lo up; ip -n $1 link set eth0 up; ip link set $2 up
  ip netns exec $1 ethtool -K eth0 tx off tso off gso off gro off >/dev/null; ethtool -K $2 tx off tso off gso off gro off >/dev/null; }
host $A dslvba 10.69.0.1/24; host $B dslvbb 10.69.0.2/24

run_iperf() { # prints "tcp_gbps udp_pps udp_loss%"
  ip netns exec $B iperf3 -s -p 5201 >/dev/null 2>&1 & local S=$!; sleep 0.5
  local tcp; tcp=$(ip netns exec $A iperf3 -c 10.69.0.2 -t "$DUR" -J | python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))')
  local udp; udp=$(ip netns exec $A iperf3 -c 10.69.0.2 -u -b "$UDP_RATE" -l 64 -t "$DUR" -J | python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]["sum"]; print("%d %.1f" % ((e["packets"]-e["lost_packets"])/e["seconds"], e["lost_percent"]))')
  kill $S 2>/dev/null; wait $S 2>/dev/null || true
  echo "$tcp $udp"; }

# 1. DistSwitch
cp samples/flows/firewall.flows "$W/fw.flows"
echo '{"name":"bench","api":"http://127.0.0.1:0","flows":"fw.flows","ports":{"1":{"interface":"dslvba","mtu":1500},"2":{"interface":"dslvbb","mtu":1500}}}' > "$W/n.json"
DLL=${DSWITCH_DLL:-Switch.Node/bin/Release/net10.0/dswitch.dll}
[ -f "$DLL" ] || dotnet build -c Release Switch.Node -v q >/dev/null
dotnet "$DLL" run --config "$W/n.json" > "$W/sw.log" 2>&1 & SW=$!
for i in $(seq 50); do grep -q "control API on" "$W/sw.log" && break; sleep 0.2; done
API=$(sed -n 's/.*control API on \(http[^ ,]*\).*/\1/p' "$W/sw.log")
t0=$(awk '{print $14+$15}' /proc/$SW/stat)
read -r sw_tcp sw_udp sw_loss < <(run_iperf)
t1=$(awk '{print $14+$15}' /proc/$SW/stat)
ports=$(curl -s "$API/ports" 2>/dev/null || python3 -c "import urllib.request;print(urllib.request.urlopen('$API/ports').read().decode())")
read -r rx kdrop < <(echo "$ports" | python3 -c 'import json,sys; p=json.load(sys.stdin)["ports"]; print(sum(x["rxPackets"] for x in p), sum(x["kernelDropped"]+x["rxDropped"] for x in p))')
hz=$(getconf CLK_TCK); cpu_us=$(python3 -c "print('%.2f' % (($t1-$t0)/$hz*1e6/max($rx,1)))")
drop=$(python3 -c "print('%.3f' % (100*$kdrop/max($rx+$kdrop,1)))")
kill $SW; wait $SW 2>/dev/null || true; SW=

# 2. Linux bridge between the same namespaces
ip link add dslvbbr type bridge; echo 1 > /proc/sys/net/ipv6/conf/dslvbbr/disable_ipv6
ip link set dslvba master dslvbbr; ip link set dslvbb master dslvbbr; ip link set dslvbbr up
read -r br_tcp br_udp br_loss < <(run_iperf)

printf '\n%-14s %10s %12s %9s %14s %12s\n' path tcp_gbit/s udp_64B_pps udp_loss% cpu_us/pkt capture_drop%
printf '%-14s %10s %12s %9s %14s %12s\n' dswitch "$sw_tcp" "$sw_udp" "$sw_loss" "$cpu_us" "$drop"
printf '%-14s %10s %12s %9s %14s %12s\n' linux-bridge "$br_tcp" "$br_udp" "$br_loss" "-" "-"
