/**
 * `hush completion bash|zsh|fish`: a completion script generated from the command tree, so
 * it always lists the commands and options this binary actually has.
 */
import { Argument, type Command } from 'commander';

interface Node {
  readonly path: string[];
  readonly subs: string[];
  readonly options: string[];
}

function walk(cmd: Command, path: string[], acc: Node[]): Node[] {
  const subs = cmd.commands.map((c) => c.name());
  const options = cmd.options.flatMap((o) =>
    [o.long, o.short].filter((x): x is string => Boolean(x)),
  );
  acc.push({ path, subs, options: [...options, '--help'] });
  for (const c of cmd.commands) walk(c, [...path, c.name()], acc);
  return acc;
}

function globalOptions(program: Command): string[] {
  return program.options.flatMap((o) => [o.long, o.short].filter((x): x is string => Boolean(x)));
}

function bash(nodes: Node[], globals: string[]): string {
  const cases = nodes
    .map(
      (n) =>
        `    "${n.path.join(' ')}") words="${[...n.subs, ...n.options, ...globals].join(' ')}" ;;`,
    )
    .join('\n');
  return `# hush bash completion: eval "$(hush completion bash)" (or save it under bash-completion/completions/hush)
_hush() {
  local cur path="" w i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ $w == -* ]] && continue
    case " $(_hush_subs "$path") " in
      *" $w "*) path="\${path:+$path }$w" ;;
    esac
  done
  local words=""
  case "$path" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
_hush_subs() {
  case "$1" in
${nodes.map((n) => `    "${n.path.join(' ')}") echo "${n.subs.join(' ')}" ;;`).join('\n')}
  esac
}
complete -o default -F _hush hush
`;
}

function zsh(nodes: Node[], globals: string[]): string {
  return `#compdef hush
# hush zsh completion: eval "$(hush completion zsh)" (or save it as _hush in your fpath)
${bash(nodes, globals).replace(/^# .*\n/, '')}
autoload -U +X bashcompinit 2>/dev/null && bashcompinit
complete -o default -F _hush hush
`;
}

function fish(nodes: Node[], globals: string[]): string {
  const lines = [
    '# hush fish completion: hush completion fish > ~/.config/fish/completions/hush.fish',
    'complete -c hush -f',
  ];
  for (const g of globals.filter((o) => o.startsWith('--')))
    lines.push(`complete -c hush -l ${g.slice(2)}`);
  for (const n of nodes) {
    const cond =
      n.path.length === 0
        ? '__fish_use_subcommand'
        : `__fish_seen_subcommand_from ${n.path[n.path.length - 1] ?? ''}`;
    for (const s of n.subs) lines.push(`complete -c hush -n '${cond}' -a ${s}`);
    if (n.path.length > 0) {
      for (const o of n.options.filter((x) => x.startsWith('--'))) {
        lines.push(`complete -c hush -n '${cond}' -l ${o.slice(2)}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Registers `hush completion`. */
export function register(program: Command): void {
  program
    .command('completion')
    .summary('print a shell completion script')
    .addArgument(new Argument('SHELL', 'the shell').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      `
Examples:
  eval "$(hush completion bash)"                          # in ~/.bashrc
  eval "$(hush completion zsh)"                           # in ~/.zshrc
  hush completion fish > ~/.config/fish/completions/hush.fish`,
    )
    .action((shell: 'bash' | 'zsh' | 'fish') => {
      const nodes = walk(program, [], []);
      const globals = globalOptions(program);
      const script = { bash, zsh, fish }[shell](nodes, globals);
      process.stdout.write(shell === 'fish' ? script : `${script.trimEnd()}\n`);
    });
}
