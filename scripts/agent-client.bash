# Sourced by the carryon launcher (bash): carryon_agent_run runs a command through the host agent
# (carryon agent) when one serves this host's carryon folder, and exits with the command's code.
# It returns, for the launcher to run the command itself, when there is no agent or it declines
# (another working folder, another environment, a command it does not run). Wire format: see
# host-launcher's dev.carryon.launcher.agent package. Shell built-ins only, but one subshell.
carryon_agent_run() {
  local home="${CARRYON_HOME:-$HOME/.local/share/carryon}" pid port token fd
  [ -f "$home/agent" ] && [ -z "${CARRYON_NO_AGENT:-}" ] || return 0
  read -r pid port token <"$home/agent" || return 0
  [[ $pid =~ ^[1-9][0-9]*$ && $port =~ ^[1-9][0-9]*$ ]] && kill -0 "$pid" 2>/dev/null || return 0
  { exec {fd}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 0
  local tty=0 names name
  [ -t 0 ] && tty=1 || tty=0
  [ -t 1 ] && tty+=1 || tty+=0
  [ -t 2 ] && tty+=1 || tty+=0
  mapfile -t names < <(compgen -e)
  {
    printf '%s\0' "carryon-agent 1" "$token" "$(pwd -P)" "$tty" "${#names[@]}"
    for name in "${names[@]}"; do printf '%s=%s\0' "$name" "${!name}"; done
    printf '%s\0' "$#" "$@"
  } >&"$fd" 2>/dev/null || { exec {fd}>&-; return 0; }
  local head chunk answer LC_ALL=C
  # The agent answers within seconds whether it runs the command (unless it is busy with
  # another); a port that is some other program's now does not answer.
  IFS= read -r -t 10 head <&"$fd" || head=""
  # "go" commits both sides: an agent that offers too late (busy with another command) finds the
  # connection closed and does not run it too.
  if [ "$head" != run ] || ! printf 'go\n' >&"$fd" 2>/dev/null; then
    exec {fd}>&-
    [ -n "${CARRYON_AGENT_DEBUG:-}" ] && echo "carryon: the agent did not run it: ${head:-no answer}" >&2
    return 0
  fi
  while IFS= read -r head <&"$fd"; do
    case "$head" in
      "out "*) IFS= read -r -N "${head#out }" chunk <&"$fd"; printf '%s' "$chunk" ;;
      "err "*) IFS= read -r -N "${head#err }" chunk <&"$fd"; printf '%s' "$chunk" >&2 ;;
      "ask "*)
        IFS= read -r -N "${head#ask }" chunk <&"$fd"
        printf '%s' "$chunk"
        IFS= read -r -s answer || answer=""
        printf '\n'
        printf '%s\n' "$answer" >&"$fd"
        answer="" ;;
      "exit "*) exec {fd}>&-; exit "${head#exit }" ;;
    esac
  done
  echo "carryon: the host agent stopped while it ran the command (see $home/agent.log)" >&2
  exit 1
}
