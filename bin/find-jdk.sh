# Sourced by ./mvnw and ./gpufleet: sets JAVA_HOME to a JDK 25 or newer
# ($JAVA_HOME when it is one, else the first /usr/lib/jvm/*25* found) and puts it first on PATH.
is_jdk25() {
  [ -x "$1/bin/javac" ] && "$1/bin/java" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'
}
gpufleet_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && is_jdk25 "$JAVA_HOME"; then return 0; fi
  for d in /usr/lib/jvm/*25* /usr/lib/jvm/*; do
    if is_jdk25 "$d"; then JAVA_HOME="$d"; return 0; fi
  done
  echo "gpufleet needs a JDK 25: set JAVA_HOME to one (none found under /usr/lib/jvm)" >&2
  return 1
}
gpufleet_find_jdk || exit 1
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
