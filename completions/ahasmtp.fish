# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_ahasmtp_global_optspecs
    string join \n h/help V/version
end

function __fish_ahasmtp_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_ahasmtp_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_ahasmtp_using_subcommand
    set -l cmd (__fish_ahasmtp_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c ahasmtp -n "__fish_ahasmtp_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ahasmtp -n "__fish_ahasmtp_needs_command" -s V -l version -d 'Print version'
complete -c ahasmtp -n "__fish_ahasmtp_needs_command" -f -a "send" -d 'Compose one message from flags, files and stdin, pre-check it, send it'
complete -c ahasmtp -n "__fish_ahasmtp_needs_command" -f -a "sendmail" -d 'Read a complete message on stdin and send it, as sendmail does (for cron, mailx, git…)'
complete -c ahasmtp -n "__fish_ahasmtp_needs_command" -f -a "check" -d 'Connect, STARTTLS and authenticate, send nothing: prove endpoint and credentials'
complete -c ahasmtp -n "__fish_ahasmtp_needs_command" -f -a "batch" -d 'Send many messages from JSON Lines over persistent connections'
complete -c ahasmtp -n "__fish_ahasmtp_needs_command" -f -a "explain" -d 'Offline: what an SMTP reply means for AhaSend, what to do, and the exit status'
complete -c ahasmtp -n "__fish_ahasmtp_needs_command" -f -a "generate" -d 'Write shell completions or man pages (for packagers)'
complete -c ahasmtp -n "__fish_ahasmtp_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l from -d 'Sender: addr or \'Display Name <addr>\' [env: AHASEND_FROM_EMAIL]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l to -d 'Recipient; repeatable, and each takes a comma-separated list' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l cc -d 'Copy recipient; repeatable, comma lists' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l bcc -d 'Blind copy recipient: in the envelope, never in the message; repeatable, comma lists' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l reply-to -d 'Reply-To address' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l subject -d 'Subject (UTF-8; encoded as RFC 2047 when needed)' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l text -d 'Plain-text body: TEXT, @FILE, or - for stdin' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l html -d 'HTML body: TEXT, @FILE, or - for stdin (with --text: multipart/alternative)' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l attach -d 'Attach a file; repeatable. Override type and name: \'PATH;type=MIME;filename=NAME\'' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l header -d 'Extra header \'Name: value\'; repeatable' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l data -d 'A complete RFC 5322 message, sent as it is: @FILE or -' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l track-opens -d 'AhaSend open tracking for this message' -r -f -a "true\t''
false\t''"
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l track-clicks -d 'AhaSend click tracking for this message' -r -f -a "true\t''
false\t''"
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l tag -d 'AhaSend tag; repeatable or a comma list (at most 10, each at most 64 characters)' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l sandbox-result -d 'Simulated outcome in the sandbox' -r -f -a "deliver\t''
bounce\t''
defer\t''
fail\t''
suppress\t''"
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l metadata-retention -d 'Days AhaSend keeps metadata and delivery logs (1-30)' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l data-retention -d 'Days AhaSend keeps the body and attachments (0-30; 0 deletes after processing)' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l region -d 'AhaSend region: eu (send.ahasend.com) or us (send-us.ahasend.com) [env: AHASMTP_REGION] [default: eu]' -r -f -a "eu\t'send.ahasend.com (Germany)'
us\t'send-us.ahasend.com (Oregon, USA)'"
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l server -d 'Any other SMTP endpoint, overriding --region [env: AHASMTP_SERVER]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l port -d 'Port: 587, 2525 or 25 for AhaSend [env: AHASMTP_PORT] [default: 587]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l tls -d 'starttls (required, the default) or none (local relays only)' -r -f -a "starttls\t'STARTTLS, required: stop before AUTH if the server does not offer it'
none\t'no TLS: local relays and test servers only; credentials only to a loopback host'"
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l ca-file -d 'Extra trusted CA certificates, PEM [env: AHASMTP_CA_FILE]' -r -F
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l timeout -d 'Seconds to wait for each reply [default: 30]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l helo -d 'The EHLO name [default: this host\'s name]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l user -d 'SMTP username [env: AHASEND_SMTP_USERNAME]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l password-file -d 'Read the password from the first line of this file' -r -F
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l password-command -d 'Run this command and use the first line it prints as the password' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l password -d 'Refused: a password on the command line leaks into shell history and `ps`' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l profile -d 'Profile of the config file [env: AHASMTP_PROFILE] [default: default]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l config -d 'Config file [env: AHASMTP_CONFIG] [default: $XDG_CONFIG_HOME/ahasmtp/config.toml, then /etc/ahasmtp.toml]' -r -F
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l retries -d 'Retry transient failures (421, 451, 4xx, connection lost) this many times; 5xx never [default: 3]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l retry-max-wait -d 'Longest wait between attempts, in seconds (exponential backoff with jitter) [default: 30]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l deadline -d 'End the whole run, retries included, by this many seconds (exit 75)' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l sandbox -d 'AhaSend sandbox: processed and webhooks fire, nothing delivered, no credits used'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l failover -d 'After the retries, try the other AhaSend region once'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l json -d 'Print one JSON object on stdout and nothing else'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -s q -l quiet -d 'Print nothing on success; errors still go to stderr'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l split -d 'More than 50 recipients: send the same message in transactions of at most 50'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l dry-run -d 'Build and pre-check, print the message and envelope; no network'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l allow-partial -d 'When some recipients are refused, send to the accepted ones and report the refused (exit 65)'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -l show-data -d 'Print the message itself in the transcript (never the AUTH line)'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand check" -l region -d 'AhaSend region: eu (send.ahasend.com) or us (send-us.ahasend.com) [env: AHASMTP_REGION] [default: eu]' -r -f -a "eu\t'send.ahasend.com (Germany)'
us\t'send-us.ahasend.com (Oregon, USA)'"
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand check" -l server -d 'Any other SMTP endpoint, overriding --region [env: AHASMTP_SERVER]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand check" -l port -d 'Port: 587, 2525 or 25 for AhaSend [env: AHASMTP_PORT] [default: 587]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand check" -l tls -d 'starttls (required, the default) or none (local relays only)' -r -f -a "starttls\t'STARTTLS, required: stop before AUTH if the server does not offer it'
none\t'no TLS: local relays and test servers only; credentials only to a loopback host'"
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand check" -l ca-file -d 'Extra trusted CA certificates, PEM [env: AHASMTP_CA_FILE]' -r -F
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand check" -l timeout -d 'Seconds to wait for each reply [default: 30]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand check" -l helo -d 'The EHLO name [default: this host\'s name]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand check" -l user -d 'SMTP username [env: AHASEND_SMTP_USERNAME]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand check" -l password-file -d 'Read the password from the first line of this file' -r -F
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand check" -l password-command -d 'Run this command and use the first line it prints as the password' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand check" -l password -d 'Refused: a password on the command line leaks into shell history and `ps`' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand check" -l profile -d 'Profile of the config file [env: AHASMTP_PROFILE] [default: default]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand check" -l config -d 'Config file [env: AHASMTP_CONFIG] [default: $XDG_CONFIG_HOME/ahasmtp/config.toml, then /etc/ahasmtp.toml]' -r -F
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand check" -l json -d 'Print one JSON object on stdout and nothing else'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand check" -s q -l quiet -d 'Print nothing on success; errors still go to stderr'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand check" -l show-config -d 'Print the resolved settings and where each came from, secrets as their source; no network'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l from -d 'Sender: addr or \'Display Name <addr>\' [env: AHASEND_FROM_EMAIL]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l to -d 'Recipient; repeatable, and each takes a comma-separated list' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l cc -d 'Copy recipient; repeatable, comma lists' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l bcc -d 'Blind copy recipient: in the envelope, never in the message; repeatable, comma lists' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l reply-to -d 'Reply-To address' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l subject -d 'Subject (UTF-8; encoded as RFC 2047 when needed)' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l text -d 'Plain-text body: TEXT, @FILE, or - for stdin' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l html -d 'HTML body: TEXT, @FILE, or - for stdin (with --text: multipart/alternative)' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l attach -d 'Attach a file; repeatable. Override type and name: \'PATH;type=MIME;filename=NAME\'' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l header -d 'Extra header \'Name: value\'; repeatable' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l data -d 'A complete RFC 5322 message, sent as it is: @FILE or -' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l track-opens -d 'AhaSend open tracking for this message' -r -f -a "true\t''
false\t''"
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l track-clicks -d 'AhaSend click tracking for this message' -r -f -a "true\t''
false\t''"
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l tag -d 'AhaSend tag; repeatable or a comma list (at most 10, each at most 64 characters)' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l sandbox-result -d 'Simulated outcome in the sandbox' -r -f -a "deliver\t''
bounce\t''
defer\t''
fail\t''
suppress\t''"
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l metadata-retention -d 'Days AhaSend keeps metadata and delivery logs (1-30)' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l data-retention -d 'Days AhaSend keeps the body and attachments (0-30; 0 deletes after processing)' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l region -d 'AhaSend region: eu (send.ahasend.com) or us (send-us.ahasend.com) [env: AHASMTP_REGION] [default: eu]' -r -f -a "eu\t'send.ahasend.com (Germany)'
us\t'send-us.ahasend.com (Oregon, USA)'"
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l server -d 'Any other SMTP endpoint, overriding --region [env: AHASMTP_SERVER]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l port -d 'Port: 587, 2525 or 25 for AhaSend [env: AHASMTP_PORT] [default: 587]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l tls -d 'starttls (required, the default) or none (local relays only)' -r -f -a "starttls\t'STARTTLS, required: stop before AUTH if the server does not offer it'
none\t'no TLS: local relays and test servers only; credentials only to a loopback host'"
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l ca-file -d 'Extra trusted CA certificates, PEM [env: AHASMTP_CA_FILE]' -r -F
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l timeout -d 'Seconds to wait for each reply [default: 30]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l helo -d 'The EHLO name [default: this host\'s name]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l user -d 'SMTP username [env: AHASEND_SMTP_USERNAME]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l password-file -d 'Read the password from the first line of this file' -r -F
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l password-command -d 'Run this command and use the first line it prints as the password' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l password -d 'Refused: a password on the command line leaks into shell history and `ps`' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l profile -d 'Profile of the config file [env: AHASMTP_PROFILE] [default: default]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l config -d 'Config file [env: AHASMTP_CONFIG] [default: $XDG_CONFIG_HOME/ahasmtp/config.toml, then /etc/ahasmtp.toml]' -r -F
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l retries -d 'Retry transient failures (421, 451, 4xx, connection lost) this many times; 5xx never [default: 3]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l retry-max-wait -d 'Longest wait between attempts, in seconds (exponential backoff with jitter) [default: 30]' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l deadline -d 'End the whole run, retries included, by this many seconds (exit 75)' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l results -d 'Write one JSON result per input line here, flushed as each finishes [default: stdout]' -r -F
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l resume -d 'Skip every line a previous results file marks sent' -r -F
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l connections -d 'Persistent connections in parallel' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l max-per-connection -d 'Reconnect before this many MAIL FROM on one connection' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l rate -d 'At most N messages a second in all' -r
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l sandbox -d 'AhaSend sandbox: processed and webhooks fire, nothing delivered, no credits used'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -l failover -d 'After the retries, try the other AhaSend region once'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -s q -l quiet -d 'No progress bar, and no summary line when every message was sent; errors still go to stderr'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand batch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand explain" -l all -d 'Print the whole table'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand explain" -l json -d 'As JSON'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand explain" -s h -l help -d 'Print help'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand generate" -s h -l help -d 'Print help'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand help; and not __fish_seen_subcommand_from send sendmail check batch explain generate help" -f -a "send" -d 'Compose one message from flags, files and stdin, pre-check it, send it'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand help; and not __fish_seen_subcommand_from send sendmail check batch explain generate help" -f -a "sendmail" -d 'Read a complete message on stdin and send it, as sendmail does (for cron, mailx, git…)'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand help; and not __fish_seen_subcommand_from send sendmail check batch explain generate help" -f -a "check" -d 'Connect, STARTTLS and authenticate, send nothing: prove endpoint and credentials'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand help; and not __fish_seen_subcommand_from send sendmail check batch explain generate help" -f -a "batch" -d 'Send many messages from JSON Lines over persistent connections'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand help; and not __fish_seen_subcommand_from send sendmail check batch explain generate help" -f -a "explain" -d 'Offline: what an SMTP reply means for AhaSend, what to do, and the exit status'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand help; and not __fish_seen_subcommand_from send sendmail check batch explain generate help" -f -a "generate" -d 'Write shell completions or man pages (for packagers)'
complete -c ahasmtp -n "__fish_ahasmtp_using_subcommand help; and not __fish_seen_subcommand_from send sendmail check batch explain generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
