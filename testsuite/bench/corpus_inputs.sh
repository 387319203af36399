# Sourced by the bench scripts: each corpus program's heap and its vv-run input flags, as in
# tests/programs.rs and bench.py.
#
#   heap PROGRAM                 -> vvc build --heap-size value
#   input PROGRAM VMS WORK STDIN -> vv-run flags: per-VM stdin (WORK/stdin-PROGRAM/i links to
#                                   STDIN/PROGRAM/(i % 512), made once) or `-- ARG` with {vm}

heap() { case $1 in allocstress) echo 2304KiB;; json) echo 768KiB;; nbody) echo 640KiB;; *) echo 512KiB;; esac; }

input() {
  case $1 in
    json|wordfreq)
      if [ ! -d "$3/stdin-$1" ]; then
        mkdir -p "$3/stdin-$1"
        python3 -c 'import os,sys; [os.symlink(f"{sys.argv[1]}/{i % 512}", f"{sys.argv[2]}/{i}") for i in range(int(sys.argv[3]))]' \
          "$4/$1" "$3/stdin-$1" "$2"
      fi
      echo "--stdin-dir $3/stdin-$1";;
    pbkdf2) echo "-- user{vm}";;
    scrypt) echo "-- pw-{vm}!";;
    *) echo "-- {vm}";;
  esac
}
