# shellcheck shell=bash
# bash completion for awsesh, printed by `awsesh completions bash`.
#
# At each TAB awsesh itself answers (clap_complete's dynamic completion:
# `_AWSESH_COMPLETE=bash awsesh -- WORDS`), so subcommands, flags and profile
# names (read from the AWS config files only then) come from the binary the
# shell finds. The words are split at blanks, not at COMP_WORDBREAKS, so
# `--profile=pro<TAB>` and names with `:` complete whole.

_awsesh_complete() {
    local line word lead reply
    local -a words=()
    COMPREPLY=()
    line=${COMP_LINE:0:COMP_POINT}
    IFS=$' \t' \builtin read -r -a words <<<"$line"
    if [[ -z $line || $line == *[[:blank:]] ]]; then
        words+=("")
    fi
    word=${words[${#words[@]}-1]}
    # bash replaces only its current word ($2, after the last word break):
    # what comes before it in the blank-delimited word is dropped from replies.
    lead=${word%"${2-}"}
    # (The last candidate comes without a newline.)
    while IFS= \builtin read -r reply || [[ -n $reply ]]; do
        if [[ -n $reply && $reply == "$lead"* ]]; then
            COMPREPLY+=("${reply#"$lead"}")
        fi
    done < <(_CLAP_IFS=$'\n' _CLAP_COMPLETE_INDEX=$((${#words[@]} - 1)) \
        _AWSESH_COMPLETE=bash \command awsesh -- "${words[@]}" 2>/dev/null)
    # A space after a whole word, none after `--flag=` or a directory.
    if ((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} != *[=/] ]]; then
        \builtin compopt +o nospace 2>/dev/null
    fi
    return 0
}
\builtin complete -o nospace -o bashdefault -F _awsesh_complete awsesh
