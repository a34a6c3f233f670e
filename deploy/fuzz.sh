#!/usr/bin/env bash
# Coverage-guided fuzzing of DistSwitch's parsers with AFL++ and SharpFuzz.
#   deploy/fuzz.sh [SECONDS] [TARGET...]     (default: 120 s for each of pcap frame flow ftp api)
# Installs afl++ (Debian) and the SharpFuzz instrumenter (a dotnet tool), builds Switch.Fuzz, instruments its copy of
# Switch.Core.dll (the parsers) and dswitch.dll (the control API), runs afl-fuzz on each target from its checked-in corpus (Switch.Fuzz/corpus/TARGET)
# for a bounded time, then replays every crash AFL++ found. New crashes are copied into the corpus as
# Switch.Fuzz/corpus/TARGET/crash-*: fix the bug, keep the file: the corpus test (FuzzCorpusTests) replays it forever.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-120}; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(pcap frame flow ftp api)

if ! command -v afl-fuzz >/dev/null; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null; fi
export PATH="$PATH:$HOME/.dotnet/tools"
command -v sharpfuzz >/dev/null || dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0 >/dev/null

out=$(mktemp -d /tmp/dswitch-fuzz-XXXX)
dotnet publish Switch.Fuzz -c Release -o "$out/bin" >/dev/null
for dll in Switch.Core.dll dswitch.dll; do sharpfuzz "$out/bin/$dll" >/dev/null; done

export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1
status=0
for t in "${targets[@]}"; do
  echo "== $t: afl-fuzz for ${secs}s"
  timeout --preserve-status "$((secs + 30))" afl-fuzz -V "$secs" -t 5000 -m none -i "Switch.Fuzz/corpus/$t" -o "$out/$t" \
    -- dotnet "$out/bin/dswitch-fuzz.dll" "$t" >"$out/$t.log" 2>&1 || true
  stats="$out/$t/default/fuzzer_stats"
  if [ ! -f "$stats" ]; then
    echo "   afl-fuzz did not run $t:"; tail -20 "$out/$t.log" | sed 's/^/   /'; status=1; continue
  fi
  grep -E '^(execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs) ' "$stats" | tr -s ' ' | sed 's/^/   /'
  crashes=("$out/$t"/default/crashes/id:*)
  if [ -e "${crashes[0]}" ]; then
    for c in "${crashes[@]}"; do cp "$c" "Switch.Fuzz/corpus/$t/crash-$(sha1sum "$c" | cut -c1-12)"; done
    echo "   crashes copied into Switch.Fuzz/corpus/$t/"
    dotnet "$out/bin/dswitch-fuzz.dll" "$t" --replay "Switch.Fuzz/corpus/$t" || status=1
  fi
done
echo "fuzzing output in $out"
exit $status
