# Sourced by the bench scripts: each corpus program's heap and input, from corpus.tsv (the table
# bench.py reads too).
#
#   heap PROGRAM                 -> vvc build --heap-size value
#   build_options PROGRAM        -> further vvc build options the program runs fastest with
#   input PROGRAM VMS WORK STDIN -> vv-run flags: per-VM stdin (WORK/stdin-PROGRAM/i links to
#                                   STDIN/PROGRAM/(i % 512), made up to VMS once) or `-- ARG` with {vm}

CORPUS_TSV=$(dirname "${BASH_SOURCE[0]}")/corpus.tsv

# Column K of PROGRAM's line; fails for a program the table does not have.
corpus_field() {
  awk -F'\t' -v p="$1" -v k="$2" '$1 == p { print $k; found = 1 } END { exit !found }' "$CORPUS_TSV" \
    || { echo "corpus.tsv has no program $1" >&2; return 1; }
}

heap() { corpus_field "$1" 2; }

# The program's further vvc build options (none for "-").
build_options() { local o; o=$(corpus_field "$1" 4) || return 1; [ "$o" = - ] || echo "$o"; }

input() {
  local a; a=$(corpus_field "$1" 3) || return 1
  if [ "$a" = stdin ]; then
    # A later call for more VMs than an earlier one adds the missing links (a VM without one would
    # read empty input).
    if [ ! -e "$3/stdin-$1/$(($2 - 1))" ]; then
      mkdir -p "$3/stdin-$1"
      python3 -c 'import os,sys; [os.symlink(f"{sys.argv[1]}/{i % 512}", p) for i in range(int(sys.argv[3])) for p in [f"{sys.argv[2]}/{i}"] if not os.path.lexists(p)]' \
        "$4/$1" "$3/stdin-$1" "$2"
    fi
    echo "--stdin-dir $3/stdin-$1"
  else
    echo "-- $a"
  fi
}
