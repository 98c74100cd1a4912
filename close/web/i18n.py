"""The web page's words in en-US and pt-BR (the group config's locales)."""

from __future__ import annotations

LANGUAGES = ("en-US", "pt-BR")

_PT = {
    "Sign in": "Entrar", "User": "Usuário", "Token": "Token", "Sign out": "Sair",
    "Close calendar": "Calendário de fechamento", "Group": "Grupo", "Start a close": "Iniciar fechamento",
    "Period": "Período", "Start": "Iniciar", "Run": "Execução", "Status": "Situação", "Stages": "Etapas",
    "Findings": "Apontamentos", "Approve": "Aprovar", "Reject": "Rejeitar", "Sign off": "Assinar",
    "Reason": "Motivo", "Waive": "Dispensar", "Waiver reason": "Motivo da dispensa",
    "Statements": "Demonstrações", "Balance sheet": "Balanço patrimonial",
    "Income statement": "Demonstração do resultado", "Account": "Conta", "Name": "Nome",
    "Amount": "Valor", "Month": "Mês", "Audit trail": "Trilha de auditoria", "Downloads": "Downloads",
    "Board package": "Pacote do conselho", "When": "Quando", "Who": "Quem", "What": "O quê",
    "Score": "Pontuação", "Signed off by": "Assinado por", "Locked": "Bloqueado", "Stale": "Desatualizado",
    "Variances": "Variações", "Commentary": "Comentário", "Severity": "Gravidade", "Code": "Código",
    "Message": "Mensagem", "Entity": "Entidade", "Expected": "Esperado", "Actual": "Real",
    "Difference": "Diferença", "Waived": "Dispensado", "signed in as": "conectado como",
    "Invalid user or token.": "Usuário ou token inválido.",
    "Too many attempts; wait a minute.": "Muitas tentativas; aguarde um minuto.",
    "No runs yet.": "Nenhuma execução ainda.", "Note": "Observação", "Total": "Total",
    "Trial balance check": "Verificar balancete", "Currency": "Moeda", "File": "Arquivo",
    "Check": "Verificar", "lines": "linhas", "opening": "saldo anterior", "debit": "débito",
    "credit": "crédito", "closing": "saldo atual",
    "Reads one entity's exported trial balance as a close would and runs the close's checks of one "
    "entity; nothing is stored.":
        "Lê o balancete exportado de uma entidade como um fechamento leria e executa as verificações "
        "do fechamento de uma entidade; nada é gravado.",
}


def translator(lang: str) -> dict[str, str]:
    """Return the words of a language (en-US words are their own keys)."""
    return _PT if lang == "pt-BR" else {}
