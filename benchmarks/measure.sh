# Sourced by the benchmark scripts (needs $work). measure NAME COMMAND...: runs the command once and
# records its wall seconds and peak RSS (MB) in wall[NAME] and rss[NAME]; its output goes to
# $work/out-NAME and $work/err-NAME.
declare -A wall rss
measure() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time-$name" "$@" > "$work/out-$name" 2> "$work/err-$name" || { cat "$work/err-$name" >&2; exit 1; }
  read -r seconds kilobytes < "$work/time-$name"
  wall[$name]=$seconds
  rss[$name]=$((kilobytes / 1024))
}
