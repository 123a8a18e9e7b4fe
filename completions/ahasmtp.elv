
use builtin;
use str;

set edit:completion:arg-completer[ahasmtp] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'ahasmtp'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'ahasmtp'= {
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand send 'Compose one message from flags, files and stdin, pre-check it, send it'
            cand sendmail 'Read a complete message on stdin and send it, as sendmail does (for cron, mailx, git…)'
            cand check 'Connect, STARTTLS and authenticate, send nothing: prove endpoint and credentials'
            cand batch 'Send many messages from JSON Lines over persistent connections'
            cand explain 'Offline: what an SMTP reply means for AhaSend, what to do, and the exit status'
            cand generate 'Write shell completions or man pages (for packagers)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ahasmtp;send'= {
            cand --from 'Sender: addr or ''Display Name <addr>'' [env: AHASEND_FROM_EMAIL]'
            cand --to 'Recipient; repeatable, and each takes a comma-separated list'
            cand --cc 'Copy recipient; repeatable, comma lists'
            cand --bcc 'Blind copy recipient: in the envelope, never in the message; repeatable, comma lists'
            cand --reply-to 'Reply-To address'
            cand --subject 'Subject (UTF-8; encoded as RFC 2047 when needed)'
            cand --text 'Plain-text body: TEXT, @FILE, or - for stdin'
            cand --html 'HTML body: TEXT, @FILE, or - for stdin (with --text: multipart/alternative)'
            cand --attach 'Attach a file; repeatable. Override type and name: ''PATH;type=MIME;filename=NAME'''
            cand --header 'Extra header ''Name: value''; repeatable'
            cand --data 'A complete RFC 5322 message, sent as it is: @FILE or -'
            cand --track-opens 'AhaSend open tracking for this message'
            cand --track-clicks 'AhaSend click tracking for this message'
            cand --tag 'AhaSend tag; repeatable or a comma list (at most 10, each at most 64 characters)'
            cand --sandbox-result 'Simulated outcome in the sandbox'
            cand --metadata-retention 'Days AhaSend keeps metadata and delivery logs (1-30)'
            cand --data-retention 'Days AhaSend keeps the body and attachments (0-30; 0 deletes after processing)'
            cand --region 'AhaSend region: eu (send.ahasend.com) or us (send-us.ahasend.com) [env: AHASMTP_REGION] [default: eu]'
            cand --server 'Any other SMTP endpoint, overriding --region [env: AHASMTP_SERVER]'
            cand --port 'Port: 587, 2525 or 25 for AhaSend [env: AHASMTP_PORT] [default: 587]'
            cand --tls 'starttls (required, the default) or none (local relays only)'
            cand --ca-file 'Extra trusted CA certificates, PEM [env: AHASMTP_CA_FILE]'
            cand --timeout 'Seconds to wait for each reply [default: 30]'
            cand --helo 'The EHLO name [default: this host''s name]'
            cand --user 'SMTP username [env: AHASEND_SMTP_USERNAME]'
            cand --password-file 'Read the password from the first line of this file'
            cand --password-command 'Run this command and use the first line it prints as the password'
            cand --password 'Refused: a password on the command line leaks into shell history and `ps`'
            cand --profile 'Profile of the config file [env: AHASMTP_PROFILE] [default: default]'
            cand --config 'Config file [env: AHASMTP_CONFIG] [default: $XDG_CONFIG_HOME/ahasmtp/config.toml, then /etc/ahasmtp.toml]'
            cand --retries 'Retry transient failures (421, 451, 4xx, connection lost) this many times; 5xx never [default: 3]'
            cand --retry-max-wait 'Longest wait between attempts, in seconds (exponential backoff with jitter) [default: 30]'
            cand --deadline 'End the whole run, retries included, by this many seconds (exit 75)'
            cand --sandbox 'AhaSend sandbox: processed and webhooks fire, nothing delivered, no credits used'
            cand --failover 'After the retries, try the other AhaSend region once'
            cand --json 'Print one JSON object on stdout and nothing else'
            cand -q 'Print nothing on success; errors still go to stderr'
            cand --quiet 'Print nothing on success; errors still go to stderr'
            cand --split 'More than 50 recipients: send the same message in transactions of at most 50'
            cand --dry-run 'Build and pre-check, print the message and envelope; no network'
            cand --allow-partial 'When some recipients are refused, send to the accepted ones and report the refused (exit 65)'
            cand --show-data 'Print the message itself in the transcript (never the AUTH line)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ahasmtp;sendmail'= {
        }
        &'ahasmtp;check'= {
            cand --region 'AhaSend region: eu (send.ahasend.com) or us (send-us.ahasend.com) [env: AHASMTP_REGION] [default: eu]'
            cand --server 'Any other SMTP endpoint, overriding --region [env: AHASMTP_SERVER]'
            cand --port 'Port: 587, 2525 or 25 for AhaSend [env: AHASMTP_PORT] [default: 587]'
            cand --tls 'starttls (required, the default) or none (local relays only)'
            cand --ca-file 'Extra trusted CA certificates, PEM [env: AHASMTP_CA_FILE]'
            cand --timeout 'Seconds to wait for each reply [default: 30]'
            cand --helo 'The EHLO name [default: this host''s name]'
            cand --user 'SMTP username [env: AHASEND_SMTP_USERNAME]'
            cand --password-file 'Read the password from the first line of this file'
            cand --password-command 'Run this command and use the first line it prints as the password'
            cand --password 'Refused: a password on the command line leaks into shell history and `ps`'
            cand --profile 'Profile of the config file [env: AHASMTP_PROFILE] [default: default]'
            cand --config 'Config file [env: AHASMTP_CONFIG] [default: $XDG_CONFIG_HOME/ahasmtp/config.toml, then /etc/ahasmtp.toml]'
            cand --json 'Print one JSON object on stdout and nothing else'
            cand -q 'Print nothing on success; errors still go to stderr'
            cand --quiet 'Print nothing on success; errors still go to stderr'
            cand --show-config 'Print the resolved settings and where each came from, secrets as their source; no network'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ahasmtp;batch'= {
            cand --from 'Sender: addr or ''Display Name <addr>'' [env: AHASEND_FROM_EMAIL]'
            cand --to 'Recipient; repeatable, and each takes a comma-separated list'
            cand --cc 'Copy recipient; repeatable, comma lists'
            cand --bcc 'Blind copy recipient: in the envelope, never in the message; repeatable, comma lists'
            cand --reply-to 'Reply-To address'
            cand --subject 'Subject (UTF-8; encoded as RFC 2047 when needed)'
            cand --text 'Plain-text body: TEXT, @FILE, or - for stdin'
            cand --html 'HTML body: TEXT, @FILE, or - for stdin (with --text: multipart/alternative)'
            cand --attach 'Attach a file; repeatable. Override type and name: ''PATH;type=MIME;filename=NAME'''
            cand --header 'Extra header ''Name: value''; repeatable'
            cand --data 'A complete RFC 5322 message, sent as it is: @FILE or -'
            cand --track-opens 'AhaSend open tracking for this message'
            cand --track-clicks 'AhaSend click tracking for this message'
            cand --tag 'AhaSend tag; repeatable or a comma list (at most 10, each at most 64 characters)'
            cand --sandbox-result 'Simulated outcome in the sandbox'
            cand --metadata-retention 'Days AhaSend keeps metadata and delivery logs (1-30)'
            cand --data-retention 'Days AhaSend keeps the body and attachments (0-30; 0 deletes after processing)'
            cand --region 'AhaSend region: eu (send.ahasend.com) or us (send-us.ahasend.com) [env: AHASMTP_REGION] [default: eu]'
            cand --server 'Any other SMTP endpoint, overriding --region [env: AHASMTP_SERVER]'
            cand --port 'Port: 587, 2525 or 25 for AhaSend [env: AHASMTP_PORT] [default: 587]'
            cand --tls 'starttls (required, the default) or none (local relays only)'
            cand --ca-file 'Extra trusted CA certificates, PEM [env: AHASMTP_CA_FILE]'
            cand --timeout 'Seconds to wait for each reply [default: 30]'
            cand --helo 'The EHLO name [default: this host''s name]'
            cand --user 'SMTP username [env: AHASEND_SMTP_USERNAME]'
            cand --password-file 'Read the password from the first line of this file'
            cand --password-command 'Run this command and use the first line it prints as the password'
            cand --password 'Refused: a password on the command line leaks into shell history and `ps`'
            cand --profile 'Profile of the config file [env: AHASMTP_PROFILE] [default: default]'
            cand --config 'Config file [env: AHASMTP_CONFIG] [default: $XDG_CONFIG_HOME/ahasmtp/config.toml, then /etc/ahasmtp.toml]'
            cand --retries 'Retry transient failures (421, 451, 4xx, connection lost) this many times; 5xx never [default: 3]'
            cand --retry-max-wait 'Longest wait between attempts, in seconds (exponential backoff with jitter) [default: 30]'
            cand --deadline 'End the whole run, retries included, by this many seconds (exit 75)'
            cand --results 'Write one JSON result per input line here, flushed as each finishes [default: stdout]'
            cand --resume 'Skip every line a previous results file marks sent'
            cand --connections 'Persistent connections in parallel'
            cand --max-per-connection 'Reconnect before this many MAIL FROM on one connection'
            cand --rate 'At most N messages a second in all'
            cand --sandbox 'AhaSend sandbox: processed and webhooks fire, nothing delivered, no credits used'
            cand --failover 'After the retries, try the other AhaSend region once'
            cand -q 'No progress bar, and no summary line when every message was sent; errors still go to stderr'
            cand --quiet 'No progress bar, and no summary line when every message was sent; errors still go to stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'ahasmtp;explain'= {
            cand --all 'Print the whole table'
            cand --json 'As JSON'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ahasmtp;generate'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'ahasmtp;help'= {
            cand send 'Compose one message from flags, files and stdin, pre-check it, send it'
            cand sendmail 'Read a complete message on stdin and send it, as sendmail does (for cron, mailx, git…)'
            cand check 'Connect, STARTTLS and authenticate, send nothing: prove endpoint and credentials'
            cand batch 'Send many messages from JSON Lines over persistent connections'
            cand explain 'Offline: what an SMTP reply means for AhaSend, what to do, and the exit status'
            cand generate 'Write shell completions or man pages (for packagers)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'ahasmtp;help;send'= {
        }
        &'ahasmtp;help;sendmail'= {
        }
        &'ahasmtp;help;check'= {
        }
        &'ahasmtp;help;batch'= {
        }
        &'ahasmtp;help;explain'= {
        }
        &'ahasmtp;help;generate'= {
        }
        &'ahasmtp;help;help'= {
        }
    ]
    $completions[$command]
}
