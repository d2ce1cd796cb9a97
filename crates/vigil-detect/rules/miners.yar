// Cryptocurrency miners. Written for Vigil.

rule Miner_XMRig
{
    meta:
        description = "XMRig Monero miner (binary, script or command line): a stratum pool URL together with XMRig's own options or algorithm names"
        severity = "high"
        category = "miner"
        reference = "https://xmrig.com/docs/miner/command-line-options"

    strings:
        $stratum = /stratum\+(tcp|ssl|tls):\/\// nocase
        $xmrig = "xmrig" nocase
        $randomx = "randomx" nocase
        $donate = "--donate-level"
        $donate_json = "\"donate-level\""

    condition:
        $stratum and ($xmrig or $randomx or $donate or $donate_json)
}

rule Miner_XMRig_Config
{
    meta:
        description = "XMRig configuration file (config.json): donation level, RandomX settings and a pool list"
        severity = "high"
        category = "miner"
        reference = "https://xmrig.com/docs/miner/config"

    strings:
        $donate = "\"donate-level\""
        $randomx = "\"randomx\""
        $pools = "\"pools\"" private
        $url = "\"url\"" private

    condition:
        filesize < 1MB and all of them
}

rule Miner_XMRig_Binary
{
    meta:
        description = "XMRig miner executable: its name, donation option and RandomX / CryptoNight code"
        severity = "high"
        category = "miner"
        reference = "https://github.com/xmrig/xmrig"

    strings:
        $name = "XMRig" fullword
        $donate = "donate-level"
        $rx = "randomx" nocase
        $cn = "cryptonight" nocase
        $pool = "pool" nocase private

    condition:
        (uint32(0) == 0x464c457f or uint16(0) == 0x5a4d) and
        $name and $donate and ($rx or $cn) and $pool
}

rule Miner_Cpuminer
{
    meta:
        description = "cpuminer / minerd CPU miner: its name with a stratum pool URL and mining algorithm options"
        severity = "high"
        category = "miner"
        reference = "https://github.com/pooler/cpuminer"

    strings:
        $name1 = "cpuminer" nocase
        $name2 = "minerd" fullword
        $stratum = /stratum\+(tcp|ssl|tls):\/\// nocase
        $algo1 = "--algo" fullword
        $algo2 = "scrypt" fullword
        $algo3 = "sha256d" fullword

    condition:
        ($name1 or $name2) and $stratum and any of ($algo*)
}
